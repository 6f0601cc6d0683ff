// Browser benchmark (`cargo xtask bench`): start-up and streaming figures in headless Chromium.
// Prints one JSON object per line: {"bench", "value", "unit"}. Figures, not pass/fail tests.
import { chromium } from "playwright-core";

const [widget, site] = process.argv.slice(2);
const report = (bench, value, unit) => console.log(JSON.stringify({ bench, value: Math.round(value * 100) / 100, unit }));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  // Heap figures: precise (not bucketed) and taken after a forced GC, so runs compare.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--enable-precise-memory-info",
    "--js-flags=--expose-gc",
  ],
});

async function startup(mode) {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage();
    await page.goto(`${site}/bench.html?widget=${encodeURIComponent(widget)}&mode=${mode}`);
    await page.waitForFunction(() => window.marks.ready);
    times.push(await page.evaluate(() => window.marks.ready - window.marks.start));
    await page.close();
  }
  times.sort((a, b) => a - b);
  report(`start-up to chat:ready (${mode}, median of 5, warm cache)`, times[2], "ms");
}

await startup("iframe");
await startup("inline");

// Streaming: 2000 deltas into one reply, inline (the shadow root is open: we can watch it).
const page = await browser.newPage();
await page.goto(`${site}/bench.html?widget=${encodeURIComponent(widget)}&mode=inline`);
await page.waitForFunction(() => window.marks.ready);
const host = page.locator(".colloquy-host");
await host.getByRole("button", { name: "Open chat" }).click();
await page.evaluate(() => {
  const root = document.querySelector(".colloquy-host").shadowRoot;
  window.renders = 0;
  window.frames = 0;
  window.longTasks = [];
  new MutationObserver(() => window.renders++).observe(root, { childList: true, subtree: true, characterData: true });
  const tick = () => {
    window.frames++;
    if (!window.marks.received) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: "longtask", buffered: false });
  window.marks.sent = performance.now();
});
await host.getByRole("textbox", { name: "Message" }).fill("/long 2000");
await host.getByRole("button", { name: "Send" }).click();
await page.waitForFunction(() => window.marks.received, null, { timeout: 120_000 });
const r = await page.evaluate(() => (window.gc(), {
  ms: window.marks.received - window.marks.sent,
  deltas: window.deltas,
  renders: window.renders,
  frames: window.frames,
  long: window.longTasks,
  heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
}));
report("streaming: deltas delivered (pre:stream:delta)", r.deltas, "deltas");
report("streaming: DOM mutation batches while streaming", r.renders, "batches");
report("streaming: animation frames while streaming", r.frames, "frames");
report("streaming: send to receive, 2000 deltas (demo agent paces 1 ms/delta)", r.ms, "ms");
report("streaming: long tasks (> 50 ms)", r.long.length, "tasks");
report("streaming: longest task", r.long.length ? Math.max(...r.long) : 0, "ms");
report("JS heap after the reply (after GC)", r.heap / 1024 / 1024, "MB");
await browser.close();
