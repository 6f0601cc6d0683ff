// Start-up figures: script tag -> `chat:ready`, cold cache (a new browser context per run),
// median of N runs, for each loading variant. A figure, not a test.
//
//   node tests/bench/startup-iframe.mjs <widget origin> [runs] [variant...]
//
// The widget origin serves a release `dist/` (e.g. `colloquy-server --dist dist --addr
// 127.0.0.1:18090 --no-api`); the host page is served by Playwright on another origin
// (http://localhost:18091). Prints one JSON object per line: {"bench", "value", "unit", ...}.
import { chromium } from "playwright-core";

const [widget = "http://127.0.0.1:18090", runsArg = "7", ...only] = process.argv.slice(2);
const RUNS = Number(runsArg);
const SITE = "http://localhost:18091";

// Variants: mode, load, and whether the host page itself carries preload hints for the
// widget's module and wasm (what embed.js could add to the host page in iframe mode).
const VARIANTS = {
  "iframe-eager": { mode: "iframe", load: "eager" },
  "iframe-eager-hints": { mode: "iframe", load: "eager", hints: true },
  "iframe-idle": { mode: "iframe", load: "idle" },
  "inline-eager": { mode: "inline", load: "eager" },
  "inline-idle": { mode: "inline", load: "idle" },
};

const manifest = await fetch(`${widget}/manifest.json`).then((r) => (r.ok ? r.json() : null), () => null);

function page(v) {
  const hints =
    v.hints && manifest
      ? `<link rel="modulepreload" href="${widget}/${manifest.js}"><link rel="preload" as="fetch" crossorigin href="${widget}/${manifest.wasm}">`
      : "";
  // `load` is passed even to builds that do not know it (they ignore it).
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>start-up</title>${hints}</head><body>
<h1>Host</h1><script>window.marks = { start: performance.now() };</script>
<script src="${widget}/embed.js"></script>
<script>Colloquy.init({ mode: "${v.mode}", load: "${v.load}", persist: "none", onLoad: function (i) {
  i.on("chat:ready", function () { window.marks.ready = performance.now(); });
} });</script></body></html>`;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  // The host page is served by Playwright (a public address for Chromium): its Local Network
  // Access check would refuse the loopback widget origin.
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-features=LocalNetworkAccessChecks"],
});

for (const [name, v] of Object.entries(VARIANTS)) {
  if (only.length && !only.includes(name)) continue;
  const times = [];
  let wasmRequests = 0;
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext(); // cold: an empty HTTP cache
    await context.route(`${SITE}/**`, (route) => route.fulfill({ contentType: "text/html", body: page(v) }));
    const p = await context.newPage();
    p.on("request", (r) => r.url().endsWith(".wasm") && wasmRequests++);
    await p.goto(`${SITE}/start.html`);
    await p.waitForFunction(() => window.marks.ready, null, { timeout: 30_000 });
    times.push(await p.evaluate(() => window.marks.ready - window.marks.start));
    await context.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    JSON.stringify({
      bench: `script tag -> chat:ready, ${name}, cold cache, median of ${RUNS}`,
      value: Math.round(median * 10) / 10,
      unit: "ms",
      runs: times.map((t) => Math.round(t)),
      wasmRequestsPerRun: wasmRequests / RUNS,
    }),
  );
}
await browser.close();
