/* Colloquy embed loader: the only script a host page loads. It starts the widget (an iframe, or
   inline in a shadow root) and speaks the bridge protocol with it (docs/bridge.md). No framework
   and no inline styles (CSSOM only), so it runs under a strict CSP. Which events exist, in which
   dialect, with which payload, is decided inside the widget: this file only calls the functions
   it is told to call, and reports how that went.
   Loading (docs/host-api.md): `load: "eager" | "idle" | "interaction"` decides when the widget's
   files are fetched; the events hosts see are the same in each. */
(function (W, D) {
  "use strict";
  var script = D.currentScript;
  var src = (script && script.src) || "";
  var ORIGIN = new URL(src, location.href).origin;
  var BASE = src.replace(/[^/?#]*([?#].*)?$/, "");
  var T0 = Date.now();
  // The content-hashed names of the widget's module, wasm and stylesheet ({js, wasm, css}),
  // written here at build time (scripts/post-build.mjs). Left null (this file served unbuilt),
  // they are read from the widget page when needed.
  var FILES = /*@FILES@*/null;
  // The launcher's name per locale (src/i18n/), for the placeholder launcher.
  var LABELS = { en: "Open chat", es: "Abrir chat", pt: "Abrir chat", fr: "Ouvrir le chat", de: "Chat \u00f6ffnen",
    ar: "\u0641\u062a\u062d \u0627\u0644\u0645\u062d\u0627\u062f\u062b\u0629", he: "\u05e4\u05ea\u05d9\u05d7\u05ea \u05d4\u05e6\u05f3\u05d0\u05d8" };
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
    var settle = [], frame, root, deliver, booted = false, ph = null, clicked = false, seen = false;
    var load = config.load === "eager" || config.load === "interaction" ? config.load : "idle";
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

    /* Streams (docs/bridge.md): the widget sends a streamed message's text as deltas only. Per
       stream this keeps the message so far and hands handlers a copy of it as `message`, so a
       delta costs what it carries however long the reply is. */
    var streams = {}, streamIds = [];
    function streamIn(id, p) {
      var s = streams[id];
      if (p.message) {
        s = streams[id] = { base: p.message, text: (p.message.content[0] || {}).text || "" };
        streamIds.push(id);
        if (streamIds.length > 16) delete streams[streamIds.shift()];
      }
      if (!s) return;
      var first = Object.assign({}, s.base.content[0], { text: s.text });
      p.message = Object.assign({}, s.base, { content: [first].concat(s.base.content.slice(1)) });
    }
    function streamAppend(id, p) {
      var s = streams[id];
      if (s) (p.delta.content || []).forEach(function (c) { s.text += c.text || ""; });
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
        if (m.stream && p) streamIn(m.stream, p);
        new Promise(function (resolve) { resolve(h && (m.bare ? h.fn() : h.fn(p))); }).then(function () {
          if (p) delete p.hostElement;
          if (m.stream && p) delete p.message;
          send({ op: "ret", call: m.call, ok: true, payload: m.bare ? null : p });
        }, function (err) {
          send({ op: "ret", call: m.call, ok: false, error: String((err && err.message) || err) });
        });
      } else if (m.op === "dom") {
        if (m.stream) streamIn(m.stream, m.detail);
        if (m.name === "view:change") { seen = true; swap(); }
        host.dispatchEvent(new CustomEvent("colloquy:" + m.name, { detail: m.detail, bubbles: true }));
        if (m.stream) streamAppend(m.stream, m.detail);
      } else if (m.op === "store" && String(m.key).indexOf("colloquy:") === 0) {
        try { area(m.area).setItem(m.key, m.value); } catch (e) { console.warn("Colloquy: could not store the conversation", e); }
      } else if (m.op === "layout" && frame) {
        var st = frame.style;
        st.width = m.width;
        st.height = m.height;
        st.display = m.width === "0px" ? "none" : "block";
        if (m.side) {
          var side = m.side == "left" ? "left" : "right";
          st.left = st.right = "";
          st[side] = "env(safe-area-inset-" + side + ")";
        }
        swap();
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

    /* Starts the widget: the iframe, or the widget's module imported into this page. */
    function boot() {
      if (booted || current !== inst) return;
      booted = true;
      if (inline) {
        // Same protocol, direct calls: each message is handled in its own microtask, in order.
        var st0 = host.style;
        st0.position = "relative";
        st0.zIndex = "2147483000";
        root = host.attachShadow({ mode: "open" });
        var mount = D.createElement("div");
        deliver = function () {};
        files().then(function (f) {
          hints(f);
          root.appendChild(link("stylesheet", BASE + f.css));
          root.appendChild(mount);
          return import(BASE + f.js).then(function (mod) {
            return mod.default({ module_or_path: BASE + f.wasm }).then(function () {
              var recv = mod.mountInline(mount, function (text) {
                Promise.resolve().then(function () { receive(text); });
              });
              deliver = function (text) { Promise.resolve().then(function () { recv(text); }); };
              init();
            });
          });
        }).catch(fail);
      } else {
        frame = D.createElement("iframe");
        frame.title = config.title || "Chat";
        frame.src = BASE + "index.html?embed=1&origin=" + encodeURIComponent(location.origin);
        frame.allow = "clipboard-write"; // the copy buttons
        var st = frame.style, env = "env(safe-area-inset-";
        st.position = "fixed";
        st.bottom = "max(var(--cq-kb)," + env + "bottom))";
        st.maxHeight = "calc(100% - max(var(--cq-kb)," + env + "bottom)) - max(var(--cq-vv-top)," + env + "top)))";
        // The side (and its safe-area inset) comes with the first `layout`.
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
      follow("addEventListener");
      fit();
    }

    /* Phones (docs/host-api.md): the on-screen keyboard shrinks the visual viewport, not the
       layout viewport fixed elements sit in. Where the visible part of the page is goes into
       custom properties on the host element; the widget's stylesheet (inline) or the iframe's
       own box (below) keeps to it, and to the safe area. */
    var VV = W.visualViewport;
    function follow(m) {
      if (VV) { VV[m]("resize", fit); VV[m]("scroll", fit); }
    }
    function fit() {
      var top = VV ? VV.offsetTop : 0, s = host.style;
      s.setProperty("--cq-vv-top", top + "px");
      s.setProperty("--cq-kb", (VV ? Math.max(0, W.innerHeight - VV.height - top) : 0) + "px");
    }

    /* A link element for what this page loads from the widget origin, with the host's nonce. */
    function link(rel, href, as) {
      var l = D.createElement("link");
      l.rel = rel;
      l.href = href;
      if (as) { l.as = as; l.crossOrigin = "anonymous"; }
      if (config.nonce) l.nonce = config.nonce;
      return l;
    }

    /* Inline mode: the wasm downloads beside the module rather than after it. (In iframe mode
       the widget page's own preload links do this: a host page's preload is not reused by a
       cross-site frame, whose HTTP cache is partitioned apart.) */
    function hints(f) {
      var head = D.head || D.documentElement;
      head.appendChild(link("modulepreload", BASE + f.js));
      head.appendChild(link("preload", BASE + f.wasm, "fetch"));
    }

    /* interaction mode: a launcher that looks like the widget's own (CSSOM only, in its own
       shadow root: no style attribute, no host stylesheet) until the visitor shows intent. */
    function placeholder() {
      ph = D.createElement("div");
      ph.className = "colloquy-placeholder";
      var sr = ph.attachShadow({ mode: "open" });
      var b = D.createElement("button"), ns = "http://www.w3.org/2000/svg";
      var svg = D.createElementNS(ns, "svg"), path = D.createElementNS(ns, "path");
      b.type = "button";
      // The widget's negotiation (src/i18n/): the config's locale, else the first of the
      // browser's languages it has, else English; Arabic and Hebrew put the launcher on the left.
      var N = W.navigator, code = [config.locale].concat(N.languages || [N.language]).map(function (t) {
        return String(t || "").split(/[-_]/)[0].toLowerCase();
      }).filter(function (c) { return LABELS[c]; })[0] || "en";
      b.setAttribute("aria-label", LABELS[code]);
      b.setAttribute("aria-haspopup", "dialog");
      b.setAttribute("aria-expanded", "false");
      var at = { viewBox: "0 0 24 24", width: 28, height: 28, fill: "none", stroke: "currentColor", "stroke-width": 2,
        "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true" };
      for (var k in at) svg.setAttribute(k, at[k]);
      path.setAttribute("d", "M5 5h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H10l-5 4v-4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z");
      svg.appendChild(path);
      b.appendChild(svg);
      var side = config.position === "left" || config.position !== "right" && /^(ar|he)$/.test(code) ? "left" : "right";
      var css = ":host{all:initial}button{position:fixed;bottom:16px;" + side + ":16px;z-index:2147483001;" +
        "width:60px;height:60px;margin:0;padding:0;border:0;border-radius:50%;background:var(--b);color:#fff;" +
        "box-shadow:0 6px 20px rgba(17,24,39,.28);cursor:pointer;display:grid;place-items:center;" +
        "transition:transform .15s ease}button:hover{transform:scale(1.06)}" +
        "button:focus-visible{outline:3px solid #fff;outline-offset:-3px;box-shadow:0 0 0 5px var(--b)}" +
        "@media (prefers-reduced-motion:reduce){button{transition:none}}";
      b.style.setProperty("--b", (config.theme || {}).brandColor || "#4f46e5");
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      sr.adoptedStyleSheets = [sheet];
      sr.appendChild(b);
      b.addEventListener("pointerenter", boot);
      b.addEventListener("focus", boot);
      b.addEventListener("click", function () {
        boot();
        if (!clicked) { clicked = true; inst.changeView("mainWindow"); }
      });
      (D.body || D.documentElement).appendChild(ph);
    }

    /* The widget's launcher is showing: the placeholder goes (after the frame painted). */
    function swap() {
      if (!ph || !seen || (frame && frame.style.display !== "block")) return;
      var old = ph, focused = ph.shadowRoot.activeElement;
      ph = null;
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          if (old.parentNode) old.parentNode.removeChild(old);
          if (focused && !clicked) {
            var real = root && root.querySelector(".cq-launcher");
            (real || frame).focus();
          }
        });
      });
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
      if (ph && ph.parentNode) ph.parentNode.removeChild(ph);
      ph = null;
      if (inline && sent) send({ op: "destroy" });
      W.removeEventListener("message", onMessage);
      W.removeEventListener("resize", onResize);
      W.removeEventListener("storage", onStorage);
      follow("removeEventListener");
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
    /* Unread messages on the host page (opt-in, config.unread): "(2) " before the title, and a
       notification for a reply that arrives while the page is hidden, asked for when the
       visitor first sends (a visitor action; the frame's activation reaches this page). */
    var u = config.unread || {}, said = "", N = W.Notification;
    if (u.title) reg("native", "unread:change", function (e) {
      D.title = (e.count ? "(" + e.count + ") " : "") + D.title.replace(/^\(\d+\) /, "");
    });
    if (u.notifications && N) {
      reg("native", "send", function () { if (N.permission == "default") N.requestPermission(); });
      reg("native", "receive", function (e) {
        said = e.message.content.map(function (c) { return c.text || ""; }).join(" ").slice(0, 140);
      });
      reg("native", "unread:change", function (e) {
        if (e.count && D.hidden && N.permission == "granted")
          new N(config.title || D.title, { body: said, tag: "colloquy" }).onclick = function () {
            W.focus();
            inst.changeView("mainWindow");
          };
      });
    }
    globals.forEach(function (g) { reg(g[0], g[1], g[2]); });
    current = inst;
    addCallbacks(inst, config);
    (D.body || D.documentElement).appendChild(host);
    // The placeholder needs constructable stylesheets (every current browser); rules the loader
    // cannot apply (visibility, a greeting bubble) or a window that reopens: started when idle.
    if (load === "interaction" && D.adoptedStyleSheets && !config.visibility && !config.greeting && !openBefore(config)) {
      placeholder();
      // The instance is there at once: its methods queue, and calling one starts the widget.
      METHODS.forEach(function (name) {
        var f = inst[name];
        inst[name] = function () { boot(); return f.apply(inst, arguments); };
      });
      inst._ready = Promise.resolve(inst);
    } else if (load === "eager") boot();
    else whenIdle(boot);
    return inst;
  }

  /* After the page's load event, when the main thread is idle (at most 2 s later). */
  function whenIdle(fn) {
    function idle() {
      if (W.requestIdleCallback) W.requestIdleCallback(fn, { timeout: 2000 });
      else setTimeout(fn, 1);
    }
    if (D.readyState === "complete") idle();
    else W.addEventListener("load", idle);
  }

  /* Whether a stored conversation had its window open: it reopens at once, so no placeholder
     (its key: src/host/storage.rs). */
  function openBefore(config) {
    try {
      var s = config.persist === "session" ? W.sessionStorage : W.localStorage;
      var v = JSON.parse(s.getItem("colloquy:" + (config.name || config.chatbotId || "colloquy") + ":conversation"));
      return !!(v && v.view && v.view.mainWindow);
    } catch (e) { return false; }
  }

  /* The widget's file names: built into this file, else read from the widget page. */
  var filesP;
  function files() {
    return filesP || (filesP = FILES ? Promise.resolve(FILES) : fetch(BASE + "index.html").then(function (r) {
      return r.text();
    }).then(function (t) {
      function name(re) { return ((t.match(re) || [])[1] || "").replace(/^.*\//, ""); }
      return { js: name(/data-js="([^"]+)"/), wasm: name(/data-wasm="([^"]+)"/), css: name(/href="([^"]*widget[^"]*\.css)"/) };
    }));
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
