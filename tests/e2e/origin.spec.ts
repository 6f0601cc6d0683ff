import { expect, test } from "@playwright/test";
import { Widget } from "./widget";

test.describe("postMessage is origin-pinned both ways", () => {
  test("a page that frames the widget claiming another origin gets nothing", async ({ page }) => {
    // Served from 127.0.0.1:18081, it claims to be http://localhost:18081.
    await page.goto("http://127.0.0.1:18081/evil.html");
    const frame = page.frameLocator("iframe");
    await page.waitForTimeout(1500);
    // The widget never answered (its hello went to the claimed origin, which is not the parent)
    // and ignored the forged init: nothing rendered.
    expect(await page.evaluate(() => (window as any).received)).toEqual([]);
    await expect(frame.locator(".cq-widget")).toHaveCount(0);
  });

  test("embed.js ignores messages that do not come from its iframe", async ({ page }) => {
    await page.goto("/skeleton.html");
    const widget = new Widget(page);
    await expect(widget.launcher).toBeEnabled();
    // A script in the host page forges a handler call and a layout change.
    await page.evaluate(() => {
      (window as any).forged = false;
      (window as any).instance.on("send", () => ((window as any).forged = true));
      for (let fn = 1; fn < 20; fn++) {
        window.postMessage(JSON.stringify({ colloquy: 1, op: "call", call: 999, fn, payload: {}, dates: [], bare: false }), "*");
      }
      window.postMessage(JSON.stringify({ colloquy: 1, op: "layout", width: "0px", height: "0px" }), "*");
    });
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as any).forged)).toBe(false);
    await expect(widget.iframe).toBeVisible();
  });

  test("an invalid config is reported as CONFIG_ERROR naming the field, and the chat still works", async ({ page }) => {
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto("/skeleton.html");
    await page.waitForFunction(() => (window as any).instance);
    await page.evaluate(() => {
      (window as any).instance.destroy();
      (window as any).configErrors = [];
      return (window as any).Colloquy.init({
        locale: "klingon",
        position: "top",
        data: { actions: [{ id: "x", type: "link", url: "javascript:alert(1)" }] },
        onLoad: (i: any) => i.on("error", (e: any) => (window as any).configErrors.push(e)),
      });
    });
    await expect
      .poll(() => page.evaluate(() => (window as any).configErrors.map((e: any) => [e.code, e.details.field])))
      .toEqual([
        ["CONFIG_ERROR", "position"],
        ["CONFIG_ERROR", "data.actions[0].url"],
        ["CONFIG_ERROR", "locale"],
      ]);
    expect(errors.some((e) => e.includes("`locale`"))).toBe(true);
    const widget = new Widget(page);
    await widget.open();
    await widget.send("still works");
    await widget.expectReply("You said: still works");
  });
});
