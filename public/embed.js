/* Colloquy embed loader. The only script a host page loads: it creates the widget iframe and relays
   events over an origin-pinned postMessage bridge (protocol: docs/bridge.md). No framework, no
   inline styles (CSSOM only), so it runs under a strict CSP. Dialect names and payloads are decided
   inside the widget; this file only calls the functions it is told to call. */
(function (W, D) {
  "use strict";
  var script = D.currentScript;
  var src = (script && script.src) || "";
  var ORIGIN = new URL(src, location.href).origin;
  var BASE = src.replace(/[^/?#]*([?#].*)?$/, "");
  var T0 = Date.now();
  var METHODS = ["changeView", "send", "restartConversation", "loadThread", "updateUser",
    "updateAuthToken", "setLocale", "setMaximized", "endConversation"];
  var globals = []; // registrations made on the global dialect objects: [api, name, fn]
  var current = null;

  function start(config) {
    if (current) {
      console.warn("Colloquy: a widget is already running on this page; returning it");
      return current;
    }
    config = config || {};
    var inst = {}, fns = {}, seq = 0, reqs = {}, outbox = [], sent = false, ready = false, frame, host;
    var settle = [];

    function send(msg) {
      msg.colloquy = 1;
      var text;
      try { text = JSON.stringify(msg); } catch (e) {
        text = JSON.stringify({ colloquy: 1, op: "ret", call: msg.call, ok: false, error: "payload is not serializable: " + e });
      }
      frame.contentWindow.postMessage(text, ORIGIN);
    }

    function post(msg) {
      if (ready) send(msg);
      else outbox.push(msg);
    }

    function reg(api, name, fn, once) {
      if (typeof fn !== "function") throw new TypeError("Colloquy: handler for " + name + " must be a function");
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
      send({ op: "init", config: clean, handlers: handlers, t0: T0, page: page() });
      sent = true;
    }

    function page() {
      return { url: location.href, width: W.innerWidth, height: W.innerHeight };
    }

    function onMessage(e) {
      if (e.origin !== ORIGIN || !frame || e.source !== frame.contentWindow) return;
      var m;
      try { m = JSON.parse(e.data); } catch (x) { return; }
      if (!m || m.colloquy !== 1) return;
      if (m.op === "hello") {
        ready = false;
        outbox = outbox.filter(function (q) { return q.op === "call"; });
        init();
      } else if (m.op === "call") {
        var h = fns[m.fn], p = m.payload;
        if (h && h.once) delete fns[m.fn];
        (m.dates || []).forEach(function (k) { if (p && k in p) p[k] = new Date(p[k]); });
        new Promise(function (resolve) { resolve(h && (m.bare ? h.fn() : h.fn(p))); }).then(function () {
          post({ op: "ret", call: m.call, ok: true, payload: m.bare ? null : p });
        }, function (err) {
          post({ op: "ret", call: m.call, ok: false, error: String((err && err.message) || err) });
        });
      } else if (m.op === "dom") {
        host.dispatchEvent(new CustomEvent("colloquy:" + m.name, { detail: m.detail, bubbles: true }));
      } else if (m.op === "layout") {
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

    function onResize() {
      if (ready) post({ op: "resize", width: W.innerWidth, height: W.innerHeight });
    }

    host = D.createElement("div");
    host.className = "colloquy-host";
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
    W.addEventListener("message", onMessage);
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
      W.removeEventListener("message", onMessage);
      W.removeEventListener("resize", onResize);
      if (host.parentNode) host.parentNode.removeChild(host);
      frame = null;
      if (current === inst) current = null;
    };
    inst._reg = reg;
    inst._unreg = unreg;
    inst._ready = new Promise(function (resolve, reject) {
      settle.push(function (err) { err ? reject(err) : resolve(inst); });
    });

    var callbacks = config.callbacks || {};
    for (var k in callbacks) if (typeof callbacks[k] === "function") reg("chask", k, callbacks[k]);
    globals.forEach(function (g) { reg(g[0], g[1], g[2]); });
    current = inst;
    if (typeof config.onLoad === "function") config.onLoad(inst);
    (D.body || D.documentElement).appendChild(host);
    return inst;
  }

  function globalOn(api, name, fn) {
    globals.push([api, name, fn]);
    if (current) current._reg(api, name, fn);
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
  W.ChatSpark.on = function (name, fn) { globalOn("chatspark", name, fn); };
  W.ChatSpark.off = function (name, fn) { globalOff("chatspark", name, fn); };
  W.ChaskWidget = { init: function (config) { return start(config); } };
  W.saEvents = { subscribe: function (fn) { globalOn("sa", "*", fn); } };

  ((stub && stub.q) || []).forEach(function (c) {
    W.Colloquy.init(c.config).then(c.resolve, c.reject);
  });
})(window, document);
