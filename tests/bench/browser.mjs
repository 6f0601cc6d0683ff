// Browser figures of `cargo xtask bench`, in headless Chromium (Debian's), everything on loopback:
// widget bytes, start-up (cold), streaming over HTTP, loadThread. Colloquy beside deep-chat.
//
// usage: node tests/bench/browser.mjs --widget http://127.0.0.1:18090 --host http://localhost:18091
//          --agent http://127.0.0.1:18092 --out target/bench/browser.json
//          [--runs 7] [--stream-runs 3] [--deltas 10000] [--rate 2000] [--thread 10000]
//          [--only sizes,startup,stream,thread]
//
// Writes one JSON object to --out: {figures: {id: value}, samples: {id: [..]}, errors: {id: why}}.
// Figures, not pass/fail: a figure is never judged here. A measurement that could not be taken
// is listed under `errors` (and the process still writes everything else it got).
import { chromium } from "playwright-core";
import fs from "node:fs";
import zlib from "node:zlib";
import { replyText } from "./reply.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const widget = arg("widget", "http://127.0.0.1:18090");
const host = arg("host", "http://localhost:18091");
const agent = arg("agent", "http://127.0.0.1:18092");
const out = arg("out", "target/bench/browser.json");
const RUNS = Number(arg("runs", "7"));
const STREAM_RUNS = Number(arg("stream-runs", "3"));
const DELTAS = Number(arg("deltas", "10000"));
const RATE = Number(arg("rate", "2000"));
const THREAD = Number(arg("thread", "10000"));
const only = new Set((arg("only", "sizes,startup,stream,thread") || "").split(","));
const STREAM_TIMEOUT = Number(arg("stream-timeout", "180")) * 1000;

const result = {
  figures: { "stream.deltas": DELTAS, "stream.rate": RATE, "thread.messages": THREAD, "startup.runs": RUNS },
  samples: {},
  errors: {},
  notes: {},
};
const fig = (id, value) => (result.figures[id] = value);
const log = (...a) => console.error("   ", ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const save = () => {
  fs.mkdirSync(out.replace(/[^/]*$/, "") || ".", { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 1));
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    // Nothing leaves the machine: any name but the loopback ones fails to resolve (deep-chat asks
    // for a web font from a CDN, for one).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
  ],
});

// Every frame of a bench context records its long tasks (absolute times) from its first script.
const LONG_TASKS = () => {
  window.__long = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push([performance.timeOrigin + e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) {
    window.__long = null;
  }
};

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(LONG_TASKS);
  const page = await context.newPage();
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  return { context, page };
}

const widgetFrame = (page) => page.frames().find((f) => f !== page.mainFrame() && f.url().startsWith(widget));

async function openColloquy(page, mode, extra = "") {
  await page.goto(`${host}/host.html?mode=${mode}&load=eager${extra}`);
  await page.waitForFunction(() => window.bench.ready || window.bench.error, null, { timeout: 60_000 });
  const err = await page.evaluate(() => window.bench.error);
  if (err) throw new Error(`Colloquy.init failed: ${err}`);
}

async function measure(id, f) {
  try {
    await f();
  } catch (e) {
    result.errors[id] = String(e && e.message ? e.message.split("\n")[0] : e);
    log(`${id}: NOT MEASURED: ${result.errors[id]}`);
  }
  save();
}

// ---- widget bytes: what a page actually loads from the widget's origin ----------------------------
function compressed(buf) {
  return {
    raw: buf.length,
    gzip: zlib.gzipSync(buf, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(buf, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }).length,
  };
}

async function loadedFiles(url, ready) {
  const { context, page } = await newPage();
  const bodies = new Map();
  const pending = [];
  page.on("response", (r) => {
    if (!r.url().startsWith(widget) || r.status() !== 200) return;
    pending.push(r.body().then((b) => bodies.set(r.url(), b), () => {}));
  });
  await page.goto(url);
  await page.waitForFunction(ready, null, { timeout: 60_000 });
  await page.waitForTimeout(1500);
  await Promise.all(pending);
  await context.close();
  return bodies;
}

function kindOf(url) {
  const p = new URL(url).pathname;
  if (p.endsWith("/embed.js")) return "embed";
  if (p.endsWith(".wasm")) return "wasm";
  if (p.endsWith(".js") || p.endsWith(".mjs")) return "js";
  if (p.endsWith(".css")) return "css";
  if (p.endsWith(".html") || p.endsWith("/")) return "page";
  return "other";
}

async function sizes() {
  await measure("size.colloquy", async () => {
    const bodies = await loadedFiles(`${host}/host.html?mode=iframe&load=eager`, () => window.bench.ready);
    const parts = {};
    const files = [];
    for (const [url, body] of bodies) {
      const k = kindOf(url);
      const c = compressed(body);
      files.push({ file: new URL(url).pathname, kind: k, ...c });
      parts[k] = parts[k] || { raw: 0, gzip: 0, brotli: 0 };
      for (const m of ["raw", "gzip", "brotli"]) parts[k][m] += c[m];
    }
    if (!parts.wasm) throw new Error("the page loaded no .wasm from the widget origin");
    const widgetParts = ["wasm", "js", "css"].map((k) => parts[k] || { raw: 0, gzip: 0, brotli: 0 });
    for (const m of ["raw", "gzip", "brotli"]) {
      fig(`size.colloquy.widget.${m}`, widgetParts.reduce((a, p) => a + p[m], 0));
      fig(`size.colloquy.all.${m}`, Object.values(parts).reduce((a, p) => a + p[m], 0));
      for (const [k, p] of Object.entries(parts)) fig(`size.colloquy.${k}.${m}`, p[m]);
    }
    result.notes["size.colloquy.files"] = files;
    log(`Colloquy: ${files.map((f) => `${f.file} ${f.gzip} B gz`).join(", ")}`);
  });
  await measure("size.deepchat", async () => {
    const bodies = await loadedFiles(`${host}/deepchat.html`, () => window.bench.ready);
    const files = [];
    const total = { raw: 0, gzip: 0, brotli: 0 };
    for (const [url, body] of bodies) {
      const c = compressed(body);
      files.push({ file: new URL(url).pathname, ...c });
      for (const m of ["raw", "gzip", "brotli"]) total[m] += c[m];
    }
    if (!files.length) throw new Error("the page loaded nothing from the widget origin");
    for (const m of ["raw", "gzip", "brotli"]) fig(`size.deepchat.all.${m}`, total[m]);
    result.notes["size.deepchat.files"] = files;
    log(`deep-chat: ${files.map((f) => `${f.file} ${f.gzip} B gz`).join(", ")}`);
  });
}

// ---- start-up: script tag -> ready, cold cache (a fresh browser context per run) ------------------
async function startup() {
  const variants = [
    ["startup.colloquy.iframe", `${host}/host.html?mode=iframe&load=eager`],
    ["startup.colloquy.inline", `${host}/host.html?mode=inline&load=eager`],
    ["startup.deepchat", `${host}/deepchat.html`],
  ];
  const samples = Object.fromEntries(variants.map(([id]) => [id, []]));
  const broken = {};
  // Interleaved rounds: each round runs every variant once, so a slow moment of the machine hits all.
  for (let r = 0; r < RUNS; r++) {
    for (const [id, url] of variants) {
      if (broken[id]) continue;
      const { context, page } = await newPage();
      try {
        await page.goto(url);
        await page.waitForFunction(() => window.bench.ready || window.bench.error, null, { timeout: 30_000 });
        const b = await page.evaluate(() => ({ t0: window.bench.t0, ready: window.bench.ready, error: window.bench.error }));
        if (b.error) throw new Error(b.error);
        samples[id].push(b.ready - b.t0);
      } catch (e) {
        broken[id] = String(e.message || e).split("\n")[0];
      }
      await context.close();
    }
  }
  for (const [id] of variants) {
    if (broken[id]) {
      result.errors[id] = broken[id];
      continue;
    }
    result.samples[id] = samples[id].map((x) => round(x));
    fig(id, round(median(samples[id])));
    log(`${id}: median ${round(median(samples[id]))} ms of ${samples[id].map((x) => round(x, 0)).join(", ")}`);
  }
  save();
}

// ---- streaming over HTTP: 10,000 deltas, fast and paced, with one pre:stream:delta handler ------
const squash = (s) => s.replace(/\s+/g, "");

async function streamOnce(mode, rate) {
  const { context, page } = await newPage();
  try {
    await openColloquy(page, mode, "&handler=1");
    await page.evaluate(() => window.instance.changeView("mainWindow"));
    await page.waitForTimeout(700);
    const text = `stream ${DELTAS} ${rate || "fast"}`;
    await page.evaluate((t) => {
      window.bench.tSend = performance.timeOrigin + performance.now();
      window.instance.send(t);
    }, text);
    try {
      await page.waitForFunction(() => window.bench.received, null, { timeout: STREAM_TIMEOUT, polling: 500 });
    } catch (e) {
      return { timedOut: true };
    }
    await page.waitForTimeout(500);
    const b = await page.evaluate(() => ({ ...window.bench, long: window.__long }));
    const frame = mode === "iframe" ? widgetFrame(page) : null;
    const frameLong = frame ? await frame.evaluate(() => window.__long) : [];
    const server = await (await fetch(`${agent}/bench/last`)).json();
    const expected = replyText(DELTAS);
    // Rendered text of the widget (whitespace-insensitive: markdown turns blank lines into blocks).
    const shown =
      mode === "iframe"
        ? await frame.evaluate(() => document.body.textContent)
        : await page.evaluate(() => window.instance.hostElement.shadowRoot.textContent);
    const from = b.tSend;
    const to = b.received + 500;
    const inWindow = (xs) => (xs || []).filter(([t]) => t >= from && t <= to).map(([, d]) => d);
    const hostLong = inWindow(b.long);
    const widgetLong = inWindow(frameLong);
    const all = [...hostLong, ...widgetLong];
    return {
      hostLong: b.long === null ? null : hostLong.length,
      frameLong: mode === "iframe" ? (frameLong === null ? null : widgetLong.length) : null,
      longTasks: all.length,
      longest: all.length ? Math.max(...all) : 0,
      totalMs: b.received - b.tSend,
      streamMs: server.streamMs,
      deltas: b.deltas,
      handlerTextExact: b.text === expected,
      receivedTextExact: b.receivedText === expected,
      shownTextExact: squash(shown).includes(squash(expected)),
    };
  } finally {
    await context.close();
  }
}

async function stream() {
  for (const mode of ["inline", "iframe"]) {
    for (const rate of [0, RATE]) {
      const id = `stream.${mode}.${rate ? "paced" : "fast"}`;
      await measure(id, async () => {
        const runs = [];
        for (let r = 0; r < STREAM_RUNS; r++) {
          const x = await streamOnce(mode, rate);
          if (x.timedOut) {
            fig(`${id}.timedOut`, STREAM_TIMEOUT / 1000);
            log(`${id}: no reply within ${STREAM_TIMEOUT / 1000} s; the other runs are skipped`);
            return;
          }
          runs.push(x);
          const slow = x.totalMs > 60_000 && r + 1 < STREAM_RUNS;
          log(
            `${id} run ${r + 1}: ${x.longTasks} long tasks (host ${x.hostLong}, frame ${x.frameLong}), longest ${round(x.longest, 0)} ms, ` +
              `${round(x.totalMs, 0)} ms for a ${round(x.streamMs, 0)} ms stream, ${x.deltas} deltas, text ${x.handlerTextExact && x.receivedTextExact && x.shownTextExact ? "exact" : "NOT exact"}`,
          );
          if (slow) {
            // Over a minute per run: one run tells enough, and keeps the bench's time bounded.
            log(`${id}: over 60 s; the other runs are skipped`);
            break;
          }
        }
        const med = (k) => median(runs.map((x) => x[k]));
        fig(`${id}.runs`, runs.length);
        fig(`${id}.longTasks`, med("longTasks"));
        if (mode === "iframe") {
          fig(`${id}.longTasksHost`, med("hostLong"));
          fig(`${id}.longTasksFrame`, med("frameLong"));
        }
        fig(`${id}.longest`, round(med("longest"), 0));
        fig(`${id}.totalMs`, round(med("totalMs"), 0));
        fig(`${id}.streamMs`, round(med("streamMs"), 0));
        if (rate) fig(`${id}.overheadPct`, round((med("totalMs") / med("streamMs") - 1) * 100, 1));
        fig(`${id}.deltasMin`, Math.min(...runs.map((x) => x.deltas)));
        fig(`${id}.textExact`, runs.every((x) => x.handlerTextExact && x.receivedTextExact && x.shownTextExact));
        result.samples[id] = runs.map((x) => ({ ...x, totalMs: round(x.totalMs, 0), longest: round(x.longest, 0), streamMs: round(x.streamMs, 0) }));
      });
    }
  }
}

// ---- loadThread of 10,000 messages: time to paint, DOM nodes in the widget --------------------
async function threadOnce(mode) {
  const { context, page } = await newPage();
  try {
    await openColloquy(page, mode);
    await page.evaluate(() => window.instance.changeView("mainWindow"));
    await page.waitForTimeout(700);
    const w = mode === "iframe" ? widgetFrame(page) : page;
    if (!w) throw new Error("no widget frame");
    const marker = `thread-end-marker-${THREAD - 1}`;
    await w.evaluate((marker) => {
      const now = () => performance.timeOrigin + performance.now();
      const root = window.instance ? window.instance.hostElement.shadowRoot : document;
      const t = (window.__thread = { lastMut: 0, seen: 0, paint: 0 });
      const found = (at) => {
        t.seen = at;
        requestAnimationFrame(() => setTimeout(() => (t.paint = now())));
      };
      new MutationObserver((records) => {
        const at = now();
        t.lastMut = at;
        if (t.seen) return;
        for (const r of records) {
          if (r.type === "characterData" && r.target.data.includes(marker)) return found(at);
          for (const n of r.addedNodes) if (n.textContent && n.textContent.includes(marker)) return found(at);
        }
      }).observe(root, { childList: true, subtree: true, characterData: true });
    }, marker);
    const t0 = await page.evaluate(
      async ({ n, marker }) => {
        const base = Date.now() - n * 60_000;
        const msgs = [];
        for (let i = 0; i < n; i++) {
          const user = i % 2 === 0;
          const text =
            i === n - 1
              ? `Last message, ${marker}.`
              : user
                ? `Message ${i}: do you ship the Trailhead 28L to Canada?`
                : `Message ${i}: yes, **3–5 business days**, and shipping is free over $50. See [shipping](https://example.com/shipping).`;
          msgs.push({
            id: `h${i}`,
            sender: user ? "user" : "response",
            content: [{ id: `h${i}-0`, type: "text", text }],
            message_state: { timestamp: base + i * 60_000, ...(user ? { status: "read" } : {}) },
          });
        }
        const t0 = performance.timeOrigin + performance.now();
        window.bench.threadCall = window.instance.loadThread(msgs).then(
          () => (window.bench.threadSettled = performance.timeOrigin + performance.now()),
          (e) => (window.bench.threadError = String(e)),
        );
        return t0;
      },
      { n: THREAD, marker },
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await w.evaluate(() => ({ ...window.__thread, quiet: performance.timeOrigin + performance.now() - window.__thread.lastMut }));
      const err = await page.evaluate(() => window.bench.threadError);
      if (err) throw new Error(`loadThread rejected: ${err}`);
      // Settled: the newest message painted and no DOM change for a second.
      if (s.paint && s.quiet > 1000) {
        const nodes = await w.evaluate(() => {
          const root = window.instance ? window.instance.hostElement.shadowRoot : document;
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_ALL);
          let count = 0;
          while (walker.nextNode()) count++;
          return count;
        });
        return { paintMs: s.paint - t0, settledMs: s.lastMut - t0, nodes };
      }
      if (Date.now() > deadline) throw new Error("the newest message was not painted within 120 s");
      await page.waitForTimeout(250);
    }
  } finally {
    await context.close();
  }
}

async function thread() {
  for (const mode of ["inline", "iframe"]) {
    const id = `thread.${mode}`;
    await measure(id, async () => {
      const runs = [];
      for (let r = 0; r < STREAM_RUNS; r++) {
        const x = await threadOnce(mode);
        log(`${id} run ${r + 1}: painted in ${round(x.paintMs, 0)} ms (DOM settled at ${round(x.settledMs, 0)} ms), ${x.nodes} nodes`);
        runs.push(x);
      }
      fig(`${id}.paintMs`, round(median(runs.map((x) => x.paintMs)), 0));
      fig(`${id}.settledMs`, round(median(runs.map((x) => x.settledMs)), 0));
      fig(`${id}.nodes`, Math.max(...runs.map((x) => x.nodes)));
      result.samples[id] = runs.map((x) => ({ paintMs: round(x.paintMs, 0), settledMs: round(x.settledMs, 0), nodes: x.nodes }));
    });
  }
}

const sections = { sizes, startup, stream, thread };
for (const [name, f] of Object.entries(sections)) {
  if (!only.has(name)) continue;
  console.error(`  -- ${name}`);
  await f();
}
await browser.close();
save();
console.error(`  browser figures written to ${out}`);
