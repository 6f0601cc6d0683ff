import { expect, test, type Page } from "@playwright/test";
import { MODES, Widget } from "./widget";

// A panic inside the widget never leaves it silently dead: the host gets `error` with code
// INTERNAL_ERROR (native handler and the DOM event), the visitor an alert with a Reload button
// that brings the widget back. The panic is triggered through the test hook: config
// `testHooks: true` (off by default) makes `send("/__panic")` panic inside the widget.

const open = (page: Page, config: object) =>
  page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify({ persist: "none", ...config }))}`);

async function recordErrors(page: Page) {
  await page.evaluate(() => {
    const w = window as any;
    w.errors = [];
    w.domErrors = [];
    w.instance.on("error", (e: any) => w.errors.push(e.code));
    w.instance.hostElement.addEventListener("colloquy:error", (e: any) => w.domErrors.push(e.detail.code));
  });
}

for (const mode of MODES) {
  test(`a panic reports INTERNAL_ERROR and offers a Reload that restarts the widget (${mode})`, async ({ page }) => {
    await open(page, { mode, testHooks: true });
    const widget = new Widget(page, mode);
    await widget.open();
    await recordErrors(page);
    await page.evaluate(() => void (window as any).instance.send("/__panic"));

    await expect.poll(() => page.evaluate(() => (window as any).errors)).toEqual(["INTERNAL_ERROR"]);
    expect(await page.evaluate(() => (window as any).domErrors)).toEqual(["INTERNAL_ERROR"]);
    const alert = widget.scope.getByRole("alert");
    await expect(alert).toContainText("Something went wrong in the chat.");
    const reload = alert.getByRole("button", { name: "Reload" });
    await expect(reload).toBeVisible();
    await expect(widget.window).toBeHidden(); // the dead widget is hidden, not left half-working

    await reload.click();
    await expect(widget.launcher).toBeVisible();
    await expect(widget.scope.getByRole("alert")).toHaveCount(0);
    await widget.open();
    await widget.send("hello again");
    await widget.expectReply("You said: hello again");
  });
}

test("without testHooks the trigger is an ordinary message", async ({ page }) => {
  await open(page, { mode: "iframe" });
  const widget = new Widget(page);
  await widget.open();
  await widget.send("/__panic");
  await widget.expectReply("You said: /__panic");
  await expect(widget.scope.getByRole("alert")).toHaveCount(0);
});
