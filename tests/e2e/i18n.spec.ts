import { expect, test, type Locator, type Page } from "@playwright/test";
import { MODES, type Mode, Widget } from "./widget";

// The visitor's language (docs/host-api.md, "Language and direction"): without `locale` in the
// config the browser's languages decide (Playwright's `locale` sets navigator.languages); Arabic
// and Hebrew lay the widget out right to left, and the launcher moves to the left corner.
const open = (page: Page, config: object) =>
  page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify(config))}`);

/** The widget's root element (it carries `lang` and `dir`). */
const root = (w: Widget): Locator => w.scope.locator(".cq-widget");

async function box(l: Locator) {
  const b = await l.boundingBox();
  expect(b).not.toBeNull();
  return b!;
}

/** The launcher, the window and the composer sit as `dir` says. */
async function expectLayout(page: Page, w: Widget, mode: Mode, dir: "ltr" | "rtl", names: { send: string; message: string }) {
  await expect(root(w)).toHaveAttribute("dir", dir);
  if (mode === "iframe") await expect(w.scope.locator("html")).toHaveAttribute("dir", dir);
  const width = page.viewportSize()!.width;
  // The iframe follows its `layout` message a moment after `dir` changed: retried.
  await expect(async () => {
    const win = await box(w.window);
    const send = await box(w.scope.getByRole("button", { name: names.send, exact: true }));
    const text = await box(w.scope.getByRole("textbox", { name: names.message }));
    if (dir === "rtl") {
      expect(win.x).toBeLessThan(width / 2); // the window opens in the left corner
      expect(send.x + send.width).toBeLessThanOrEqual(text.x + 1); // the send button left of the text
    } else {
      expect(win.x + win.width).toBeGreaterThan(width / 2);
      expect(send.x).toBeGreaterThanOrEqual(text.x + text.width - 1);
    }
  }).toPass({ timeout: 5_000 });
}

for (const mode of MODES) {
  test.describe(`${mode} mode`, () => {
    test.describe("a browser in Mexican Spanish", () => {
      test.use({ locale: "es-MX" });

      test("without a locale in the config, the widget speaks Spanish", async ({ page }) => {
        await open(page, { mode, persist: "none" });
        const w = new Widget(page, mode);
        await w.scope.getByRole("button", { name: "Abrir chat" }).click();
        await expect(w.scope.getByRole("textbox", { name: "Mensaje" })).toBeVisible();
        await expect(root(w)).toHaveAttribute("lang", "es");
        await expect(w.scope.getByRole("button", { name: "Enviar", exact: true })).toBeVisible();
        await expectLayout(page, w, mode, "ltr", { send: "Enviar", message: "Mensaje" });
      });

      test("the config's locale wins over the browser's", async ({ page }) => {
        await open(page, { mode, persist: "none", locale: "de" });
        const w = new Widget(page, mode);
        await expect(w.scope.getByRole("button", { name: "Chat öffnen" })).toBeEnabled();
        await expect(root(w)).toHaveAttribute("lang", "de");
      });

      test("the placeholder launcher (load: interaction) negotiates too", async ({ page }) => {
        await open(page, { mode, persist: "none", load: "interaction" });
        await expect(page.locator(".colloquy-placeholder").getByRole("button", { name: "Abrir chat" })).toBeVisible();
      });
    });

    test.describe("a browser in Arabic", () => {
      test.use({ locale: "ar-EG" });

      test("right to left: dir=rtl, the launcher on the left, the layout mirrored", async ({ page }) => {
        await open(page, { mode, persist: "none" });
        const w = new Widget(page, mode);
        const launcher = w.scope.getByRole("button", { name: "فتح المحادثة" });
        await expect(launcher).toBeEnabled();
        const width = page.viewportSize()!.width;
        expect((await box(launcher)).x).toBeLessThan(width / 2);
        await launcher.click();
        await expect(w.window).toBeVisible();
        await expect(root(w)).toHaveAttribute("lang", "ar");
        await expectLayout(page, w, mode, "rtl", { send: "إرسال", message: "الرسالة" });
        // Header: the close button at the left end, the title at the right.
        const close = await box(w.scope.getByRole("button", { name: "إغلاق المحادثة" }));
        const title = await box(w.scope.locator(".cq-title"));
        expect(close.x).toBeLessThan(title.x);
        // Bubbles: the visitor's on the left, the agent's on the right.
        await w.scope.getByRole("textbox", { name: "الرسالة" }).fill("مرحبا");
        await w.scope.getByRole("button", { name: "إرسال", exact: true }).click();
        const mine = await box(w.scope.locator(".cq-message--user .cq-bubble").first());
        await expect(w.scope.locator(".cq-message--agent .cq-bubble").first()).toContainText("You said: مرحبا");
        const theirs = await box(w.scope.locator(".cq-message--agent .cq-bubble").first());
        expect(mine.x).toBeLessThan(theirs.x);
        // The send arrow points left.
        const icon = w.scope.getByRole("button", { name: "إرسال", exact: true }).locator("svg");
        await expect(icon).toHaveCSS("transform", "matrix(-1, 0, 0, 1, 0, 0)");
      });

      test("a position the host set stays where it is", async ({ page }) => {
        await open(page, { mode, persist: "none", position: "right" });
        const w = new Widget(page, mode);
        const launcher = w.scope.getByRole("button", { name: "فتح المحادثة" });
        await expect(launcher).toBeEnabled();
        expect((await box(launcher)).x).toBeGreaterThan(page.viewportSize()!.width / 2);
        await expect(root(w)).toHaveAttribute("dir", "rtl");
      });

      test("the placeholder launcher waits in the left corner", async ({ page }) => {
        await open(page, { mode, persist: "none", load: "interaction" });
        const placeholder = page.locator(".colloquy-placeholder").getByRole("button", { name: "فتح المحادثة" });
        await expect(placeholder).toBeVisible();
        expect((await box(placeholder)).x).toBeLessThan(page.viewportSize()!.width / 2);
      });
    });

    test("setLocale switches the language and the direction live", async ({ page }) => {
      await open(page, { mode, persist: "none" });
      const w = new Widget(page, mode);
      await w.open();
      await expectLayout(page, w, mode, "ltr", { send: "Send", message: "Message" });
      await page.evaluate(() => (window as any).instance.setLocale("he"));
      await expect(root(w)).toHaveAttribute("lang", "he");
      await expectLayout(page, w, mode, "rtl", { send: "שליחה", message: "הודעה" });
      await page.evaluate(() => (window as any).instance.setLocale("fr"));
      await expectLayout(page, w, mode, "ltr", { send: "Envoyer", message: "Message" });
    });
  });
}
