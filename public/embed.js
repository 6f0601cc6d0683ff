/* Colloquy embed loader: the only script a host page loads. It starts the widget (an iframe, or
   inline in a shadow root) and speaks the bridge protocol with it (docs/bridge.md). No framework
   and no inline styles (CSSOM only), so it runs under a strict CSP. Which events exist, in which
   dialect, with which payload, is decided inside the widget: this file only calls the functions
   it is told to call, and reports how that went. */
(function (W, D) {
  "use strict";
  var script = D.currentScript;
  var src = (script && script.src) || "";
  var ORIGIN = new URL(src, location.href).origin;
  var BASE = src.replace(/[^/?#]*([?#].*)?$/, "");
  var T0 = Date.now();
  var METHODS = ["changeView", "send", "restartConversation", "loadThread", "updateUser",
    "updateAuthToken", "setLocale", "setMaximized", "endConversation"];
  var globals = []; // registrations on the global dialect objects: [api, name, fn]
  var current = null;

  function start(config) {
    config = config || {};
    if (current) {
      // One widget per page: a second init adds its callbacks and onLoad to the running one.
      console.warn("Colloquy: a widget is already running; adding this init's callbacks to it");
      addCallbacks(current, config);
      return current;
    }
    var inline = config.mode === "inline";
    var inst = {}, fns = {}, seq = 0, reqs = {}, outbox = [], sent = false, ready = false;
    var settle = [], frame, root, deliver;
    var host = D.createElement("div");
    host.className = "colloquy-host";

    function send(msg) {
      msg.colloquy = 1;
      var text;
      try { text = JSON.stringify(msg); } catch (e) {
        text = JSON.stringify({ colloquy: 1, op: "ret", call: msg.call, ok: false, error: "payload is not serializable: " + e });
      }
      deliver(text);
    }

    function post(msg) {
      if (ready) send(msg);
      else outbox.push(msg);
    }

    function reg(api, name, fn, once) {
      if (typeof fn !== "function") throw new TypeError("Colloquy: the handler for " + name + " must be a function");
      var id = ++seq;
      fns[id] = { api: api, name: name, fn: fn, once: !!once };
      if (sent) post({ op: "on", id: id, api: api, name: name, once: !!once });
      return id;
    }

    function unreg(api, name, fn) {
      for (var id in fns) {
        var h = fns[id];
        if (h.api === api && h.name === name && h.fn === fn) {
          delete fns[id];
          if (sent) post({ op: "off", id: +id });
          return;
        }
      }
    }

    function call(method, args) {
      return new Promise(function (resolve, reject) {
        var req = ++seq;
        reqs[req] = [resolve, reject];
        post({ op: "call", req: req, method: method, args: args });
      });
    }

    function init() {
      var handlers = [];
      for (var id in fns) handlers.push({ id: +id, api: fns[id].api, name: fns[id].name, once: fns[id].once });
      var clean = JSON.parse(JSON.stringify(config, function (k, v) {
        return typeof v === "function" || (W.Node && v instanceof Node) ? undefined : v;
      }));
      send({ op: "init", config: clean, handlers: handlers, t0: T0, stored: stored(),
        page: { url: location.href, width: W.innerWidth, height: W.innerHeight } });
      sent = true;
    }

    /* The widget's conversation lives in this (first-party) page's storage: a cross-site iframe's
       own storage is partitioned or blocked. Only `colloquy:` keys are read or written. */
    function area(name) {
      try { return name === "session" ? W.sessionStorage : W.localStorage; } catch (e) { return null; }
    }

    function stored() {
      var out = {};
      ["local", "session"].forEach(function (name) {
        var s = area(name), items = {};
        try { for (var i = 0; s && i < s.length; i++) { var k = s.key(i); if (k.indexOf("colloquy:") === 0) items[k] = s.getItem(k); } } catch (e) {}
        out[name] = items;
      });
      return out;
    }

    function onStorage(e) {
      if (e.key && e.key.indexOf("colloquy:") === 0 && e.storageArea === area("local")) post({ op: "stored", key: e.key, value: e.newValue });
    }

    /* The element a userDefinedResponse handler renders into: the widget's own element when it
       is reachable (inline, or a same-origin iframe), else a detached element whose content is
       mirrored into the widget, sanitized, now and on every change. */
    function hostElement(id) {
      var doc = root;
      try { if (frame) doc = frame.contentDocument; } catch (e) { doc = null; }
      var el = doc && doc.getElementById(id);
      if (el) return el;
      el = D.createElement("div");
      var mirror = function () { post({ op: "html", element: id, nodes: tree(el) }); };
      new MutationObserver(mirror).observe(el, { childList: true, subtree: true, characterData: true, attributes: true });
      return el;
    }

    /* The element's children as this page parsed them (text, or [tag, attributes, children];
       SVG/MathML as "#foreign"): the widget sanitizes this tree and never re-parses HTML. */
    function tree(n) {
      return [].map.call(n.childNodes, function (c) {
        if (c.nodeType === 3) return c.data;
        if (c.nodeType !== 1) return "";
        var a = {};
        [].forEach.call(c.attributes, function (x) { a[x.name] = x.value; });
        return [c instanceof HTMLElement ? c.localName : "#foreign", a, tree(c)];
      });
    }

    function receive(data) {
      var m;
      try { m = JSON.parse(data); } catch (x) { return; }
      if (!m || m.colloquy !== 1) return;
      if (m.op === "hello") {
        ready = false;
        outbox = outbox.filter(function (q) { return q.op === "call"; });
        init();
      } else if (m.op === "call") {
        var h = fns[m.fn], p = m.payload;
        if (h && h.once) delete fns[m.fn];
        (m.dates || []).forEach(function (k) { if (p && k in p) p[k] = new Date(p[k]); });
        if (m.element && p) p.hostElement = hostElement(m.element);
        new Promise(function (resolve) { resolve(h && (m.bare ? h.fn() : h.fn(p))); }).then(function () {
          if (p) delete p.hostElement;
          send({ op: "ret", call: m.call, ok: true, payload: m.bare ? null : p });
        }, function (err) {
          send({ op: "ret", call: m.call, ok: false, error: String((err && err.message) || err) });
        });
      } else if (m.op === "dom") {
        host.dispatchEvent(new CustomEvent("colloquy:" + m.name, { detail: m.detail, bubbles: true }));
      } else if (m.op === "store" && String(m.key).indexOf("colloquy:") === 0) {
        try { area(m.area).setItem(m.key, m.value); } catch (e) { console.warn("Colloquy: could not store the conversation", e); }
      } else if (m.op === "layout" && frame) {
        var st = frame.style;
        st.width = m.width;
        st.height = m.height;
        st.display = m.width === "0px" ? "none" : "block";
      } else if (m.op === "done") {
        if (m.req === 0) {
          ready = true;
          while (outbox.length) send(outbox.shift());
          settle.forEach(function (f) { f(m.ok ? null : new Error(m.error)); });
          settle = [];
        } else if (reqs[m.req]) {
          reqs[m.req][m.ok ? 0 : 1](m.ok ? m.value : new Error(m.error));
          delete reqs[m.req];
        }
      }
    }

    function onMessage(e) {
      if (frame && e.origin === ORIGIN && e.source === frame.contentWindow) receive(e.data);
    }

    function onResize() {
      if (ready) post({ op: "resize", width: W.innerWidth, height: W.innerHeight });
    }

    function fail(err) {
      console.error("Colloquy: the widget could not start:", err);
      settle.forEach(function (f) { f(err); });
    }

    if (inline) {
      // Same protocol, direct calls: each message is handled in its own microtask, in order.
      var st0 = host.style;
      st0.position = "relative";
      st0.zIndex = "2147483000";
      root = host.attachShadow({ mode: "open" });
      var css = D.createElement("link");
      css.rel = "stylesheet";
      css.href = BASE + "widget.css";
      var mount = D.createElement("div");
      root.appendChild(css);
      root.appendChild(mount);
      deliver = function () {};
      import(BASE + "colloquy.js").then(function (mod) {
        return mod.default({ module_or_path: BASE + "colloquy_bg.wasm" }).then(function () {
          var recv = mod.mountInline(mount, function (text) {
            Promise.resolve().then(function () { receive(text); });
          });
          deliver = function (text) { Promise.resolve().then(function () { recv(text); }); };
          init();
        });
      }).catch(fail);
    } else {
      frame = D.createElement("iframe");
      frame.title = config.title || "Chat";
      frame.src = BASE + "index.html?embed=1&origin=" + encodeURIComponent(location.origin);
      var st = frame.style;
      st.position = "fixed";
      st.bottom = "0";
      st[config.position === "left" ? "left" : "right"] = "0";
      st.border = "0";
      st.width = st.height = "0px";
      st.display = "none";
      st.zIndex = "2147483000";
      st.colorScheme = "normal";
      st.background = "transparent";
      host.appendChild(frame);
      deliver = function (text) { frame.contentWindow.postMessage(text, ORIGIN); };
      W.addEventListener("message", onMessage);
      W.addEventListener("storage", onStorage);
    }
    W.addEventListener("resize", onResize);

    inst.hostElement = host;
    inst.on = function (name, fn) {
      reg("native", name, fn);
      return function () { inst.off(name, fn); };
    };
    inst.once = function (name, fn) { reg("native", name, fn, true); };
    inst.off = function (name, fn) { unreg("native", name, fn); };
    METHODS.forEach(function (name) {
      inst[name] = function () { return call(name, [].slice.call(arguments)); };
    });
    inst.destroy = function () {
      if (inline && sent) send({ op: "destroy" });
      W.removeEventListener("message", onMessage);
      W.removeEventListener("resize", onResize);
      W.removeEventListener("storage", onStorage);
      if (host.parentNode) host.parentNode.removeChild(host);
      frame = null;
      if (current === inst) current = null;
    };
    inst._reg = reg;
    inst._unreg = unreg;
    inst._ready = new Promise(function (resolve, reject) {
      settle.push(function (err) { err ? reject(err) : resolve(inst); });
    });

    var a = config.analytics || {};
    if (a.dataLayer || a.gtag) reg("native", "analytics", function (e) {
      if (a.dataLayer) (W.dataLayer = W.dataLayer || []).push(Object.assign({ event: e.type }, e.data));
      if (a.gtag && typeof W.gtag === "function") W.gtag("event", e.type, e.data || {});
    });
    globals.forEach(function (g) { reg(g[0], g[1], g[2]); });
    current = inst;
    addCallbacks(inst, config);
    (D.body || D.documentElement).appendChild(host);
    return inst;
  }

  function addCallbacks(inst, config) {
    var callbacks = config.callbacks || {};
    for (var k in callbacks) if (typeof callbacks[k] === "function") inst._reg("chask", k, callbacks[k]);
    if (typeof config.onLoad === "function") config.onLoad(inst);
  }

  function globalOn(api, name, fn) {
    globals.push([api, name, fn]);
    if (current) current._reg(api, name, fn);
    return function () { globalOff(api, name, fn); };
  }

  function globalOff(api, name, fn) {
    globals = globals.filter(function (g) { return !(g[0] === api && g[1] === name && g[2] === fn); });
    if (current) current._unreg(api, name, fn);
  }

  var stub = W.Colloquy;
  W.Colloquy = {
    version: 1,
    init: function (config) {
      try { return start(config)._ready; } catch (e) { return Promise.reject(e); }
    }
  };
  W.ChatSpark = function (config) { return start(config); };
  W.ChatSpark.on = function (name, fn) { return globalOn("chatspark", name, fn); };
  W.ChatSpark.off = function (name, fn) { globalOff("chatspark", name, fn); };
  W.ChaskWidget = { init: function (config) { return start(config); } };
  W.saEvents = { subscribe: function (fn) { return globalOn("sa", "*", fn); } };

  ((stub && stub.q) || []).forEach(function (c) {
    W.Colloquy.init(c.config).then(c.resolve, c.reject);
  });
})(window, document);
