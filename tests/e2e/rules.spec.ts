import { expect, test } from "@playwright/test";
import { MODES, Widget } from "./widget";

// The handler rules (DESIGN.md), across the bridge: host handlers live in the host page.
for (const mode of MODES) {
  test(`handler rules across the boundary (${mode})`, async ({ page }) => {
    await page.goto(`/rules.html?mode=${mode}`);
    const widget = new Widget(page, mode);
    await widget.open();
    const calls = () => page.evaluate(() => (window as any).calls as string[]);
    const errors = () => page.evaluate(() => (window as any).errors as string[]);

    // Late handlers of sticky chat:ready ran, in registration order.
    await expect.poll(calls).toEqual(["ready:A", "ready:B"]);

    // The async pre:send handler was awaited and its rewrite applied.
    await widget.send("hello");
    await expect(widget.messages.locator(".cq-message--user")).toHaveText(/hello \(checked\)/);
    // The hung pre:receive handler timed out (800 ms) and the reply still rendered.
    await widget.expectReply("You said: hello (checked)");

    await expect.poll(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^HANDLER_ERROR: a `send` handler \(native\) failed: boom in send$/),
        expect.stringMatching(/^HANDLER_TIMEOUT: a `pre:receive` handler \(native\) did not settle within 800 ms$/),
        expect.stringMatching(/^HANDLER_ERROR: a `receive` handler \(native\) failed: rejected in receive$/),
      ]),
    );
    // The handler after the throwing one still ran; once ran once; removed handlers never ran.
    await widget.send("again");
    await widget.expectReply("You said: again (checked)");
    await expect.poll(calls).toEqual(["ready:A", "ready:B", "send:after-throw", "receive:once", "send:after-throw"]);
    // The throwing error handler did not cause more errors: one per failure above, no loop.
    expect((await errors()).every((e) => e.startsWith("HANDLER_"))).toBe(true);
    expect((await errors()).length).toBe(6);
    // Every event is also a DOM event on the host element.
    expect(await page.evaluate(() => (window as any).dom)).toEqual(["hello (checked)", "again (checked)"]);
  });
}

test("instance methods resolve, and reject with the reason", async ({ page }) => {
  await page.goto("/rules.html");
  const widget = new Widget(page);
  await expect(widget.launcher).toBeEnabled();
  await page.evaluate(() => (window as any).instance.changeView("mainWindow"));
  await expect(widget.window).toBeVisible();
  const error = await page.evaluate(() => (window as any).instance.setLocale("tlh").catch((e: Error) => e.message));
  expect(error).toBe("setLocale: `tlh` is not one of en, es, pt, fr, de, ar, he");
  await page.evaluate(() => (window as any).instance.setLocale("es"));
  await expect(widget.scope.getByRole("textbox", { name: "Mensaje" })).toBeVisible();
});
