import { expect, test, type Page, type Request } from "@playwright/test";
import config from "./playwright.config";
import { MODES, Widget } from "./widget";

// Loading modes (docs/host-api.md, Loading): when embed.js fetches the widget's files, seen
// from the network. The host pages are served by `page.route` on the site origin; a held image
// keeps the host page's `load` event back until the test lets it go.

// Host pages here are served by `page.route`, which Chromium counts as a public address space:
// its Local Network Access check would then refuse the widget's loopback origin. Here loopback
// stands in for two public sites, so that check is off (the launch options are otherwise the
// config's).
const launch = config.use?.launchOptions ?? {};
test.use({ launchOptions: { ...launch, args: [...(launch.args ?? []), "--disable-features=LocalNetworkAccessChecks"] } });

const WIDGET = "http://127.0.0.1:18080";

/** A host page on the site origin embedding the widget with `config`; `img` delays `load`. */
function hostPage(config: object): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Loading</title></head><body>
<h1>A shop page</h1><img src="/held.png" alt="">
<script>window.received = []; window.sa = []; addEventListener("load", function () { window.T_LOAD = Date.now(); });</script>
<script src="${WIDGET}/embed.js"></script>
<script>
  saEvents.subscribe(function (e) { window.sa.push(e); });
  var config = ${JSON.stringify(config)};
  // Registered before the widget starts (onLoad), so every event is seen live in every mode.
  config.onLoad = function (i) {
    i.on("*", function (e) { window.received.push(JSON.parse(JSON.stringify(e))); });
  };
  Colloquy.init(config).then(function (i) { window.instance = i; });
</script></body></html>`;
}

/** What the widget fetched: its page, its module and its wasm (embed.js itself excluded). */
function widgetRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (r: Request) => {
    const url = r.url();
    if (url.startsWith(WIDGET) && !url.endsWith("/embed.js") && /index\.html|\.wasm|\.js|\.css/.test(url)) seen.push(url);
  });
  return seen;
}

/** Serves `html` at /loading.html and holds /held.png until the returned function is called. */
async function serve(page: Page, html: string): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/loading.html", (route) => route.fulfill({ contentType: "text/html", body: html }));
  await page.route("**/held.png", async (route) => {
    await held;
    await route.fulfill({ status: 404, body: "" });
  });
  return release;
}

for (const mode of MODES) {
  test.describe(`loading, ${mode} mode`, () => {
    test("idle (the default): nothing of the widget is fetched before the page's load event", async ({ page }) => {
      const seen = widgetRequests(page);
      const release = await serve(page, hostPage({ mode }));
      await page.goto("/loading.html", { waitUntil: "commit" });
      await expect.poll(() => page.evaluate(() => typeof (window as any).instance)).toBe("undefined");
      await page.waitForTimeout(700); // well past the time an eager widget takes to request its files
      expect(seen).toEqual([]);
      release();
      const widget = new Widget(page, mode);
      await expect(widget.launcher).toBeEnabled();
      expect(seen.some((u) => u.endsWith(".wasm"))).toBe(true);
      // chat:loaded keeps the time embed.js ran, not the time the widget started.
      const sa = await page.evaluate(() => (window as any).sa);
      const [tLoad, loaded] = await page.evaluate(() => [(window as any).T_LOAD, (window as any).sa[0]]);
      expect(loaded.type).toBe("CHAT_LOADED");
      expect(loaded.timestamp).toBeLessThan(tLoad);
      expect(sa.map((e: any) => e.type)).toEqual(["CHAT_LOADED", "CHAT_VISIBLE"]);
    });

    test("eager: the widget's files are fetched before the page's load event", async ({ page }) => {
      const seen = widgetRequests(page);
      const release = await serve(page, hostPage({ mode, load: "eager" }));
      await page.goto("/loading.html", { waitUntil: "commit" });
      await expect.poll(() => seen.some((u) => u.endsWith(".wasm"))).toBe(true);
      await expect(new Widget(page, mode).launcher).toBeEnabled();
      expect(await page.evaluate(() => document.readyState)).not.toBe("complete");
      release();
    });

    test("interaction: only embed.js until the visitor points at the launcher", async ({ page }) => {
      const seen = widgetRequests(page);
      const release = await serve(page, hostPage({ mode, load: "interaction", persist: "none" }));
      release();
      await page.goto("/loading.html");
      const placeholder = page.locator(".colloquy-placeholder").getByRole("button", { name: "Open chat" });
      await expect(placeholder).toBeVisible();
      // The instance is there at once; nothing is fetched while the visitor does nothing.
      await expect.poll(() => page.evaluate(() => typeof (window as any).instance)).toBe("object");
      await page.evaluate(() => new Promise((r) => requestIdleCallback(r)));
      await page.waitForTimeout(700);
      expect(seen).toEqual([]);
      await placeholder.hover();
      const widget = new Widget(page, mode);
      await expect(widget.launcher).toBeEnabled();
      expect(seen.some((u) => u.endsWith(".wasm"))).toBe(true);
      await expect(page.locator(".colloquy-placeholder")).toHaveCount(0);
      const types = () => page.evaluate(() => (window as any).received.map((e: any) => e.type));
      await expect.poll(types).toContain("view:change");
      await page.waitForTimeout(300);
      const lazy = await types();
      const sa = await page.evaluate(() => (window as any).sa.map((e: any) => e.type));
      expect(sa).toEqual(["CHAT_LOADED", "CHAT_VISIBLE"]);
      // The events a host sees are the ones of an eager start, in the same order.
      await page.goto("about:blank");
      await page.unrouteAll();
      (await serve(page, hostPage({ mode, load: "eager", persist: "none" })))();
      await page.goto("/loading.html");
      await expect(new Widget(page, mode).launcher).toBeEnabled();
      await expect.poll(types).toContain("view:change");
      await page.waitForTimeout(300);
      expect(lazy).toEqual(await types());
    });

    test("interaction: focus on the launcher is intent too", async ({ page }) => {
      const seen = widgetRequests(page);
      (await serve(page, hostPage({ mode, load: "interaction" })))();
      await page.goto("/loading.html");
      await expect(page.locator(".colloquy-placeholder").getByRole("button", { name: "Open chat" })).toBeVisible();
      expect(seen).toEqual([]);
      await page.keyboard.press("Tab");
      await expect(new Widget(page, mode).launcher).toBeEnabled();
      expect(seen.some((u) => u.endsWith(".wasm"))).toBe(true);
    });

    test("interaction: a click before the widget is ready still opens the window", async ({ page }) => {
      // The wasm is held back so that the click certainly comes first.
      let releaseWasm!: () => void;
      const wasmHeld = new Promise<void>((r) => (releaseWasm = r));
      await page.route(`${WIDGET}/**/*.wasm`, async (route) => {
        await wasmHeld;
        await route.continue();
      });
      (await serve(page, hostPage({ mode, load: "interaction" })))();
      await page.goto("/loading.html");
      await page.locator(".colloquy-placeholder").getByRole("button", { name: "Open chat" }).click();
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as any).received.length)).toBe(0);
      releaseWasm();
      const widget = new Widget(page, mode);
      await expect(widget.window).toBeVisible();
      await expect(widget.messageBox).toBeVisible();
      await expect(page.locator(".colloquy-placeholder")).toHaveCount(0);
      const views = (await page.evaluate(() => (window as any).received)).filter((e: any) => e.type === "view:change");
      expect(views.at(-1)).toEqual({
        type: "view:change",
        reason: "calledChangeView",
        oldViewState: { launcher: true, mainWindow: false },
        newViewState: { launcher: false, mainWindow: true },
      });
      await widget.send("hello");
      await widget.expectReply("You said: hello");
    });
  });
}

test("interaction with visibility rules or a greeting starts when idle instead (no placeholder)", async ({ page }) => {
  const seen = widgetRequests(page);
  (await serve(page, hostPage({ load: "interaction", greeting: "Hi there" })))();
  await page.goto("/loading.html");
  await expect(new Widget(page).launcher).toBeEnabled();
  expect(seen.some((u) => u.endsWith(".wasm"))).toBe(true);
  await expect(page.locator(".colloquy-placeholder")).toHaveCount(0);
});

test("an unknown load value is reported as CONFIG_ERROR naming the field, and the widget starts", async ({ page }) => {
  (await serve(page, hostPage({ load: "lazy" })))();
  await page.goto("/loading.html");
  await expect(new Widget(page).launcher).toBeEnabled();
  await expect
    .poll(() => page.evaluate(() => (window as any).received.filter((e: any) => e.type === "error").map((e: any) => [e.code, e.message])))
    .toEqual([["CONFIG_ERROR", expect.stringContaining("`load`")]]);
});
