import { expect, test, type Page } from "@playwright/test";
import config from "./playwright.config";
import { Widget } from "./widget";

// Strict Content-Security-Policy in both modes (docs/host-api.md, "Content-Security-Policy").
// The headers are added here with `page.route` (the widget page on the widget origin, and host
// pages on the site origin), so the test does not depend on what the server sends. Any
// `securitypolicyviolation` event, in the host page or in the widget's frame, fails the test.

// Host pages here are served by `page.route`, which Chromium counts as a public address space:
// its Local Network Access check would then refuse the widget's loopback origin. Here loopback
// stands in for two public sites, so that check is off (the launch options are otherwise the
// config's).
const launch = config.use?.launchOptions ?? {};
test.use({ launchOptions: { ...launch, args: [...(launch.args ?? []), "--disable-features=LocalNetworkAccessChecks"] } });

const WIDGET = "http://127.0.0.1:18080";
const SITE = "http://localhost:18081";

/** The policy of the widget page (what colloquy-server sends, docs/deploying.md). */
const WIDGET_POLICY = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; frame-ancestors ${SITE}`;

/** Collects policy violations from every frame of `page` (an init script runs in each). */
async function violations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on("console", (m) => {
    const t = m.text();
    if (t.startsWith("CSP violation") || /Content Security Policy/i.test(t)) seen.push(t);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation in ${location.href}: ${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
    });
  });
  return seen;
}

/** Serves the widget page (index.html, any query) with `policy`. */
async function strictWidgetPage(page: Page, policy = WIDGET_POLICY): Promise<void> {
  await page.route(`${WIDGET}/index.html?*`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": policy } });
  });
}

/** Serves a host page at `path` on the site origin with `policy`; its script is external. */
async function hostPage(page: Page, path: string, policy: string, config: object, nonce?: string): Promise<void> {
  const n = nonce ? ` nonce="${nonce}"` : "";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict host</title>
<link rel="stylesheet" href="/host.css"></head><body><h1>A shop with a strict policy</h1>
<script${n} src="${WIDGET}/embed.js"></script><script${n} src="/host.js"></script></body></html>`;
  const js = `Colloquy.init(${JSON.stringify(config)}).then(function (i) { window.instance = i; });`;
  await page.route(`${SITE}${path}`, (route) =>
    route.fulfill({ contentType: "text/html", headers: { "content-security-policy": policy }, body: html }),
  );
  await page.route(`${SITE}/host.js`, (route) => route.fulfill({ contentType: "text/javascript", body: js }));
  await page.route(`${SITE}/host.css`, (route) => route.fulfill({ contentType: "text/css", body: "h1 { font: 20px serif; }" }));
}

async function chat(widget: Widget): Promise<void> {
  await widget.open();
  await widget.send("hello under a strict policy");
  await widget.expectReply("You said: hello under a strict policy");
  await widget.send("/markdown");
  await widget.expectReply(/./);
}

test.describe("strict CSP", () => {
  test("iframe mode: widget page under the strict header, host page under its own", async ({ page }) => {
    const seen = await violations(page);
    await strictWidgetPage(page);
    const host = `default-src 'self'; script-src 'self' ${WIDGET}; frame-src ${WIDGET}; style-src 'self'; img-src 'self'`;
    await hostPage(page, "/csp-iframe.html", host, { mode: "iframe", load: "eager", theme: { brandColor: "#0f766e" } });
    await page.goto("/csp-iframe.html");
    const widget = new Widget(page, "iframe");
    await expect(widget.launcher).toBeEnabled();
    await chat(widget);
    // The served widget page has no inline script and no style attribute.
    const html = await (await page.request.get(`${WIDGET}/index.html`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(seen).toEqual([]);
  });

  test("iframe mode, interaction loading: the placeholder launcher needs no style-src", async ({ page }) => {
    const seen = await violations(page);
    await strictWidgetPage(page);
    const host = `default-src 'self'; script-src 'self' ${WIDGET}; frame-src ${WIDGET}; style-src 'self'`;
    await hostPage(page, "/csp-lazy.html", host, { mode: "iframe", load: "interaction" });
    await page.goto("/csp-lazy.html");
    await page.locator(".colloquy-placeholder").getByRole("button", { name: "Open chat" }).click();
    const widget = new Widget(page, "iframe");
    await expect(widget.window).toBeVisible();
    expect(seen).toEqual([]);
  });

  test("inline mode: host policy allows the widget origin", async ({ page }) => {
    const seen = await violations(page);
    const host =
      `default-src 'self'; script-src 'self' ${WIDGET} 'wasm-unsafe-eval'; style-src 'self' ${WIDGET}; ` +
      `connect-src 'self' ${WIDGET}`;
    await hostPage(page, "/csp-inline.html", host, { mode: "inline", load: "eager" });
    await page.goto("/csp-inline.html");
    const widget = new Widget(page, "inline");
    await expect(widget.launcher).toBeEnabled();
    await chat(widget);
    expect(seen).toEqual([]);
  });

  test("inline mode: host policy with a nonce (strict-dynamic) and the nonce option", async ({ page }) => {
    const seen = await violations(page);
    const nonce = "c29sbG9xdXk9MQ";
    const host =
      `default-src 'self'; script-src 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; ` +
      `style-src 'self' 'nonce-${nonce}'; connect-src 'self' ${WIDGET}`;
    await hostPage(page, "/csp-nonce.html", host, { mode: "inline", load: "eager", nonce }, nonce);
    await page.goto("/csp-nonce.html");
    const widget = new Widget(page, "inline");
    await expect(widget.launcher).toBeEnabled();
    await chat(widget);
    expect(seen).toEqual([]);
  });

  test("inline mode: without the nonce option, the stylesheet is refused (the test can fail)", async ({ page }) => {
    const seen = await violations(page);
    const nonce = "bm8tbm9uY2U";
    const host =
      `default-src 'self'; script-src 'nonce-${nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; ` +
      `style-src 'self' 'nonce-${nonce}'; connect-src 'self' ${WIDGET}`;
    await hostPage(page, "/csp-nonce-missing.html", host, { mode: "inline", load: "eager" }, nonce);
    await page.goto("/csp-nonce-missing.html");
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen.join("\n")).toContain("style-src");
  });

  for (const path of ["/demo/", "/demo/gallery"]) {
    test(`the ${path} page runs under the strict policy`, async ({ page }) => {
      const seen = await violations(page);
      const policy = `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; frame-ancestors 'self'`;
      await page.route(`${WIDGET}/**`, async (route) => {
        const response = await route.fetch();
        const html = (response.headers()["content-type"] || "").startsWith("text/html");
        const headers = html ? { ...response.headers(), "content-security-policy": policy } : response.headers();
        await route.fulfill({ response, headers });
      });
      await page.goto(`${WIDGET}${path}`);
      if (path === "/demo/") {
        await expect(page.frameLocator("iframe").first().getByRole("button", { name: "Open chat" })).toBeEnabled();
      } else {
        await expect(page.getByRole("button", { name: "Open chat" }).first()).toBeVisible();
      }
      await page.waitForTimeout(500);
      expect(seen).toEqual([]);
    });
  }
});
