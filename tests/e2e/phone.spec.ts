import { expect, test, type Locator, type Page } from "@playwright/test";
import { MODES, Widget, type Mode } from "./widget";

// Phones (docs/host-api.md, "Phones"), in Playwright's mobile emulation (touch, a small
// viewport, a phone's device scale), in both modes: fields of 16 px (iOS zooms into smaller
// ones), 44 x 44 px launcher and window buttons, no horizontal scroll at 320 px, the safe area,
// and the on-screen keyboard, simulated by shrinking the host page's visual viewport.

test.use({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

const page_ = (mode: Mode, config: object = {}) =>
  `/phone.html?config=${encodeURIComponent(JSON.stringify({ mode, load: "eager", ...config }))}`;

async function start(page: Page, mode: Mode, config: object = {}): Promise<Widget> {
  await page.goto(page_(mode, config));
  const widget = new Widget(page, mode);
  await expect(widget.launcher).toBeEnabled();
  return widget;
}

/** The element's box in the host page's CSS pixels (frames included). */
async function box(el: Locator) {
  const b = await el.boundingBox();
  expect(b, "the element has a box").not.toBeNull();
  return b!;
}

async function expectTarget(el: Locator, name: string) {
  const b = await box(el);
  expect(b.width, `${name} width`).toBeGreaterThanOrEqual(44);
  expect(b.height, `${name} height`).toBeGreaterThanOrEqual(44);
}

async function fontSize(el: Locator): Promise<number> {
  return el.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
}

/** Simulates the on-screen keyboard: the host page's visual viewport is `height` px tall from
 * `top` (what iOS Safari and Chrome on Android do); `null` closes it. */
async function keyboard(page: Page, view: { height: number; top: number } | null) {
  await page.evaluate((view) => {
    const vv = window.visualViewport!;
    if (view) {
      Object.defineProperty(vv, "height", { configurable: true, get: () => view.height });
      Object.defineProperty(vv, "offsetTop", { configurable: true, get: () => view.top });
    } else {
      delete (vv as any).height;
      delete (vv as any).offsetTop;
    }
    vv.dispatchEvent(new Event("resize"));
  }, view);
}

for (const mode of MODES) {
  test.describe(`phone (${mode})`, () => {
    test(`the launcher and the window's buttons are at least 44 x 44 px (${mode})`, async ({ page }) => {
      const widget = await start(page, mode);
      await expectTarget(widget.launcher, "launcher");
      await widget.launcher.tap();
      await expect(widget.window).toBeVisible();
      for (const name of ["Close chat", "Minimize", "Restart conversation"]) await expectTarget(widget.button(name), name);
      await widget.messageBox.fill("hello");
      await expectTarget(widget.button("Send"), "Send");
      // The window fills the phone's screen.
      const win = await box(widget.window);
      expect(win).toEqual({ x: 0, y: 0, width: 320, height: 640 });
    });

    test(`every field is at least 16 px, so iOS does not zoom on focus (${mode})`, async ({ page }) => {
      const widget = await start(page, mode, { actions: [{ id: "callback", type: "form", label: "Call me back", fields: [{ key: "phone", label: "Phone", type: "tel" }] }] });
      await widget.open();
      expect(await fontSize(widget.messageBox)).toBeGreaterThanOrEqual(16);
      await widget.send("/lead");
      await expect(widget.scope.getByRole("textbox", { name: "Email" })).toBeVisible();
      await widget.send("/actions");
      await expect(widget.scope.getByRole("form", { name: "Call me back" }).getByRole("textbox", { name: "Phone" })).toBeVisible();
      await widget.send("rate me");
      await widget.expectReply("You said: rate me");
      await widget.scope.getByRole("button", { name: "Not helpful" }).last().click();
      const fields = widget.window.locator("input:not([type=file]), textarea, select");
      expect(await fields.count()).toBeGreaterThanOrEqual(5);
      for (const size of await fields.evaluateAll((els) => els.map((e) => parseFloat(getComputedStyle(e).fontSize)))) {
        expect(size).toBeGreaterThanOrEqual(16);
      }
    });

    test(`nothing scrolls sideways at 320 px (${mode})`, async ({ page }) => {
      const widget = await start(page, mode);
      const wide = (el: Element) => el.scrollWidth - el.clientWidth;
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth)).toBe(0);
      await widget.open();
      await widget.send("/markdown");
      await widget.expectReply("Markdown tour");
      await widget.send("/actions");
      await widget.send("/lead");
      await expect(widget.scope.getByRole("textbox", { name: "Email" })).toBeVisible();
      // The host page is not widened, nor is the widget's page (iframe) or its message list.
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth)).toBe(0);
      if (mode === "iframe") {
        const doc = widget.iframe.contentFrame().locator(":root");
        expect(await doc.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth)).toBe(0);
      }
      expect(await widget.scope.locator(".cq-scroll").evaluate(wide)).toBe(0);
      expect(await widget.window.evaluate(wide)).toBe(0);
    });

    test(`the on-screen keyboard never covers the composer (${mode})`, async ({ page }) => {
      const widget = await start(page, mode);
      await widget.open();
      await widget.send("/markdown");
      await widget.expectReply("Markdown tour");
      await widget.messageBox.focus();
      // The keyboard takes the bottom 300 px.
      await keyboard(page, { height: 340, top: 0 });
      await expect.poll(async () => (await box(widget.window)).height).toBe(340);
      const composer = await box(widget.messageBox);
      expect(composer.y + composer.height).toBeLessThanOrEqual(340);
      expect((await box(widget.button("Close chat"))).y).toBeGreaterThanOrEqual(0);
      // The browser scrolled the visible part down by 120 px: the window follows it.
      await keyboard(page, { height: 340, top: 120 });
      await expect.poll(async () => (await box(widget.window)).y).toBe(120);
      const win = await box(widget.window);
      expect(win.y + win.height).toBe(460);
      const send = await box(widget.scope.locator(".cq-send"));
      expect(send.y + send.height).toBeLessThanOrEqual(460);
      // The keyboard closes: the whole screen again.
      await keyboard(page, null);
      await expect.poll(async () => await box(widget.window)).toEqual({ x: 0, y: 0, width: 320, height: 640 });
    });

    test(`the safe area keeps the launcher, the header and the composer clear of the notch and the home indicator (${mode})`, async ({ page }) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Emulation.setSafeAreaInsetsOverride" as any, { insets: { top: 47, bottom: 34, left: 0, right: 0 } });
      const widget = await start(page, mode);
      const launcher = await box(widget.launcher);
      expect(launcher.y + launcher.height).toBeLessThanOrEqual(640 - 34 - 16);
      await widget.launcher.tap();
      await expect(widget.window).toBeVisible();
      expect((await box(widget.button("Close chat"))).y).toBeGreaterThanOrEqual(47);
      const composer = await box(widget.messageBox);
      expect(composer.y + composer.height).toBeLessThanOrEqual(640 - 34);
      // With the keyboard up, the home indicator is under it: no gap is kept for it.
      await widget.messageBox.focus();
      await keyboard(page, { height: 340, top: 0 });
      await expect.poll(async () => (await box(widget.messageBox)).y + (await box(widget.messageBox)).height).toBeGreaterThan(340 - 34);
      expect((await box(widget.messageBox)).y + (await box(widget.messageBox)).height).toBeLessThanOrEqual(340);
    });
  });
}
