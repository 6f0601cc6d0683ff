import { expect, test } from "@playwright/test";
import { WIDGET } from "./playwright.config";
import { Widget } from "./widget";

// The widget server (:18080) runs with COLLOQUY_ALLOWED_ORIGINS = http://localhost:18081 and its
// own origin (playwright.config.ts). The widget page must carry no inline script (the strict-CSP
// build of issue 10): the server sends it with script-src 'self'.
test.describe("allowedOrigins: who may embed the widget", () => {
  test("the widget page refuses to start for an unlisted host, and says so in the console", async ({ page }) => {
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    const response = await page.goto(`${WIDGET}/index.html?embed=1&origin=${encodeURIComponent("https://evil.example")}`);
    const csp = response!.headers()["content-security-policy"];
    expect(csp).toContain("frame-ancestors http://localhost:18081 http://127.0.0.1:18080;");
    expect(csp).not.toContain("unsafe-inline");
    expect(await page.locator('meta[name="colloquy-allowed-origins"]').getAttribute("content")).toBe(
      "http://localhost:18081 http://127.0.0.1:18080",
    );
    await expect.poll(() => errors.join("\n")).toContain("https://evil.example is not an allowed origin");
    await page.waitForTimeout(500);
    await expect(page.locator(".cq-widget")).toHaveCount(0);
  });

  test("a listed host gets a working widget under the widget page's strict policy", async ({ page }) => {
    const violations: string[] = [];
    page.on("console", (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
    await page.goto("/skeleton.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("hello");
    await widget.expectReply("You said: hello");
    expect(violations).toEqual([]);
  });

  test("an unlisted site cannot frame the widget page (frame-ancestors)", async ({ page }) => {
    const refused: string[] = [];
    page.on("console", (m) => /frame-ancestors/.test(m.text()) && refused.push(m.text()));
    // 127.0.0.1:18081 is not listed (localhost:18081 is).
    await page.goto("http://127.0.0.1:18081/evil.html");
    await expect.poll(() => refused.length).toBeGreaterThan(0);
    await expect(page.frameLocator("iframe").locator(".cq-widget")).toHaveCount(0);
  });
});
