import { expect, test, type Locator, type Page } from "@playwright/test";
import { MODES, Widget } from "./widget";

// Features configured by the host: analytics forwarding, theming and position, visibility rules,
// the greeting bubble, stopping a reply, read receipts.
const open = (page: Page, config: object) => page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify(config))}`);
const host = (page: Page, expr: string) => page.evaluate(expr);

test("analytics go to dataLayer and gtag when configured, without message text", async ({ page }) => {
  await open(page, { analytics: { dataLayer: true, gtag: true } });
  const widget = new Widget(page);
  await widget.open();
  await widget.send("secret words");
  await widget.expectReply("You said: secret words");
  await expect
    .poll(() => host(page, "window.dataLayer.map((e) => e.event)"))
    .toEqual(expect.arrayContaining(["widget_loaded", "widget_opened", "session_started", "message_sent", "message_received"]));
  const sent: any = await host(page, "window.dataLayer.find((e) => e.event === 'message_sent')");
  expect(sent).toEqual({ event: "message_sent", messageId: expect.any(String), hasAttachments: false });
  const gtag: any = await host(page, "window.gtagCalls.find((c) => c[1] === 'message_received')");
  expect(gtag).toEqual(["event", "message_received", { messageId: expect.any(String), sender: "agent" }]);
  expect(JSON.stringify(await host(page, "window.dataLayer"))).not.toContain("secret words");
});

test("theme and position: brand color, radius, dark, on the left", async ({ page }) => {
  await open(page, { theme: { brandColor: "#0f766e", radius: 4, scheme: "dark" }, position: "left" });
  const widget = new Widget(page);
  await expect(widget.launcher).toBeEnabled();
  const box = await widget.iframe.boundingBox();
  expect(box!.x).toBe(0);
  await expect(widget.launcher).toHaveCSS("background-color", "rgb(15, 118, 110)");
  await widget.open();
  await expect(widget.window).toHaveCSS("border-radius", "4px");
  await expect(widget.window).toHaveCSS("background-color", "rgb(21, 23, 28)");
  await expect(widget.scope.locator(".cq-launcher-area")).toBeHidden();
});

test("visibility rules keep the launcher away on other pages; the host can still open it", async ({ page }) => {
  await open(page, { visibility: { urls: ["/products/*"] } });
  const widget = new Widget(page);
  await expect.poll(() => host(page, "window.events")).toContain("chat:ready");
  await expect(widget.iframe).toBeHidden();
  expect(await host(page, "window.sa")).toEqual(["CHAT_LOADED"]);
  await page.evaluate(() => (window as any).instance.changeView("mainWindow"));
  await expect(widget.window).toBeVisible();
});

test("the greeting bubble opens the chat or goes away", async ({ page }) => {
  await open(page, { greeting: "Questions about sizing?" });
  const widget = new Widget(page);
  await expect(widget.scope.getByRole("button", { name: "Questions about sizing?" })).toBeVisible();
  await expect.poll(async () => (await widget.iframe.boundingBox())?.width).toBe(300);
  await widget.button("Dismiss").click();
  await expect(widget.scope.getByRole("button", { name: "Questions about sizing?" })).toBeHidden();
  await expect.poll(async () => (await widget.iframe.boundingBox())?.width).toBe(96);
});

test("Stop ends a streaming reply where it is", async ({ page }) => {
  await open(page, { agent: { kind: "demo", chunkMs: 60 } });
  const widget = new Widget(page);
  await widget.open();
  await widget.send("/long 200");
  const reply = widget.messages.locator(".cq-message--agent");
  await expect(reply).toContainText("Sentence 5 ");
  await widget.button("Stop").click();
  await expect(reply).toHaveAttribute("aria-busy", "false");
  const text = await reply.textContent();
  await page.waitForTimeout(500);
  expect(await reply.textContent()).toBe(text);
  expect(await host(page, "window.events")).not.toContain("receive");
  await expect(widget.button("Send")).toBeVisible();
  await widget.send("still here");
  await widget.expectReply("You said: still here");
});

test("a human agent's reply marks the visitor's messages read", async ({ page }) => {
  await open(page, {});
  const widget = new Widget(page);
  await widget.open();
  await widget.send("/handoff");
  await widget.expectReply("Hi, I'm Dana");
  await expect(widget.messages.locator(".cq-message--user")).toHaveAttribute("data-status", "read");
  await expect(widget.messages.locator(".cq-message--user .cq-status-text")).toHaveText("Read");
});

test("attachments: preview, then type and size limits are enforced with a clear message", async ({ page }) => {
  await open(page, { attachments: { maxSize: 1024, types: ["image/*"] } });
  const widget = new Widget(page);
  await widget.open();
  const attach = async (name: string, mimeType: string, size: number) => {
    const chooser = page.waitForEvent("filechooser");
    await widget.button("Attach a file").click();
    await (await chooser).setFiles({ name, mimeType, buffer: Buffer.alloc(size) });
  };
  await attach("setup.exe", "application/x-msdownload", 10);
  await expect(widget.scope.getByRole("alert")).toHaveText("setup.exe is not a supported file type");
  await attach("huge.png", "image/png", 5000);
  await expect(widget.scope.getByRole("alert")).toHaveText("huge.png is larger than the limit of 1 kB");
  await attach("ok.png", "image/png", 100);
  await expect(widget.scope.locator(".cq-pending-file")).toContainText("ok.png · 100 bytes");
  await expect(widget.scope.locator(".cq-pending-file img")).toHaveAttribute("src", /^blob:/);
  expect(await host(page, "window.events.filter((e) => e === 'attachment:uploaded').length")).toBe(1);
  await widget.send("here is the receipt");
  await expect(widget.messages.locator(".cq-message--user .cq-files")).toContainText("ok.png");
});

test("End conversation ends it; writing again starts a new one", async ({ page }) => {
  await open(page, {});
  const widget = new Widget(page);
  await widget.open();
  await widget.send("hello");
  await widget.expectReply("You said: hello");
  await widget.button("End conversation").click();
  await expect(widget.messages.locator(".cq-notice--ended")).toBeVisible();
  await expect(widget.scope.getByText("Conversation ended")).toBeVisible();
  expect(await host(page, "window.sa")).toContain("CONTACT_ENDED");
  await widget.send("a new question");
  await widget.expectReply("You said: a new question");
  expect(await host(page, "window.events.filter((e) => e === 'conversation:started').length")).toBe(2);
});

test("setLocale translates the interface and the dates", async ({ page }) => {
  await page.clock.setFixedTime(new Date("2026-11-16T15:05:00Z"));
  await open(page, {});
  const widget = new Widget(page);
  await widget.open();
  await widget.send("hola");
  await widget.expectReply("You said: hola");
  await page.evaluate(() => (window as any).instance.setLocale("es"));
  await expect(widget.scope.getByRole("textbox", { name: "Mensaje" })).toBeVisible();
  await expect(widget.messages.locator(".cq-day")).toHaveText("Hoy");
  await expect(widget.messages.locator(".cq-message--user .cq-time")).toHaveText("15:05");
  await page.evaluate(() => (window as any).instance.setLocale("pt"));
  await expect(widget.messages.locator(".cq-day")).toHaveText("Hoje");
  await expect(widget.scope.getByRole("button", { name: "Fechar chat" })).toBeVisible();
});

/** Presses Tab until `target` has the keyboard focus (inside the widget's frame). */
async function tabTo(page: Page, target: Locator, max = 40): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    const focused = await target.evaluate((el) => el.ownerDocument.hasFocus() && el.ownerDocument.activeElement === el);
    if (focused) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${target} cannot be reached with Tab`);
}

test("keyboard only: open, send, answer, fill the lead form, rate, close", async ({ page }) => {
  await open(page, {});
  const widget = new Widget(page);
  await expect(widget.launcher).toBeEnabled();
  await tabTo(page, widget.launcher);
  await page.keyboard.press("Enter");
  await expect(widget.messageBox).toBeFocused();

  await page.keyboard.type("/buttons");
  await page.keyboard.press("Enter");
  await widget.expectReply("Would you like help choosing a size?");
  await tabTo(page, widget.button("Yes"));
  await page.keyboard.press("Enter");
  await expect(widget.messages.locator(".cq-message--user").filter({ hasText: /^Yes/ })).toBeVisible();
  await expect.poll(() => host(page, "window.events")).toContain("action:triggered");

  await tabTo(page, widget.messageBox);
  await page.keyboard.type("/lead");
  await page.keyboard.press("Enter");
  const form = widget.scope.getByRole("form", { name: "Leave your details" });
  await tabTo(page, form.getByRole("textbox", { name: "Name" }));
  await page.keyboard.type("Ana");
  await page.keyboard.press("Tab");
  await page.keyboard.type("ana@example.com");
  await tabTo(page, form.getByRole("button", { name: "Submit" }));
  await page.keyboard.press("Enter");
  await expect(widget.scope.getByText("Sent — thank you!")).toBeVisible();
  await expect.poll(() => host(page, "window.events")).toContain("lead:captured");

  // Escape closes the feedback details, not the window; focus goes back to the thumb.
  const leadReply = await widget.expectReply("Leave your details");
  const helpful = leadReply.getByRole("button", { name: "Helpful", exact: true });
  await tabTo(page, helpful);
  await page.keyboard.press("Enter");
  const details = widget.scope.getByRole("group", { name: "Tell us more" });
  await expect(details).toBeVisible();
  await tabTo(page, details.getByRole("textbox"));
  await page.keyboard.press("Escape");
  await expect(details).toBeHidden();
  await expect(widget.window).toBeVisible();
  await expect(helpful).toBeFocused();

  const reply = await widget.expectReply("Would you like help choosing a size?");
  await tabTo(page, reply.getByRole("button", { name: "Not helpful", exact: true }));
  await page.keyboard.press("Enter");
  await expect(details).toBeVisible();
  await tabTo(page, details.getByRole("textbox"));
  await page.keyboard.type("Quick and clear");
  await tabTo(page, details.getByRole("button", { name: "Send feedback" }));
  await page.keyboard.press("Enter");
  await expect(widget.scope.getByText("Thanks for your feedback")).toBeVisible();
  await expect(reply.getByRole("button", { name: "Not helpful", exact: true })).toBeFocused();
  await expect.poll(() => host(page, "window.events.filter((e) => e === 'feedback').length")).toBe(3);

  await page.keyboard.press("Escape");
  await expect(widget.window).toBeHidden();
  await expect(widget.launcher).toBeFocused();
});

for (const mode of MODES) {
  test(`focus stays in the window when the control used goes away (${mode})`, async ({ page }) => {
    await open(page, { mode });
    const widget = new Widget(page, mode);
    await widget.open();
    const press = async (control: Locator) => {
      await control.focus();
      await page.keyboard.press("Enter");
    };

    await widget.send("/buttons");
    await widget.expectReply("Would you like help choosing a size?");
    await press(widget.button("Yes"));
    await expect(widget.messageBox).toBeFocused();

    await widget.send("/lead");
    const form = widget.scope.getByRole("form", { name: "Leave your details" });
    await form.getByRole("textbox", { name: "Name" }).fill("Ana");
    await form.getByRole("textbox", { name: "Email" }).fill("ana@example.com");
    await press(form.getByRole("button", { name: "Submit" }));
    await expect(widget.scope.getByText("Sent — thank you!")).toBeVisible();
    await expect(widget.messageBox).toBeFocused();

    await widget.send("/error");
    await press(widget.button("Retry"));
    await widget.expectReply("Retried: it worked this time.");
    await expect(widget.messageBox).toBeFocused();

    // The restart question takes the focus on its safe answer; Escape gives it back.
    const restart = widget.button("Restart conversation");
    await press(restart);
    const question = widget.scope.getByRole("alertdialog");
    await expect(question.getByRole("button", { name: "Cancel" })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(question).toBeHidden();
    await expect(widget.window).toBeVisible();
    await expect(restart).toBeFocused();
    await press(restart);
    await press(question.getByRole("button", { name: "Restart" }));
    await expect(widget.messageBox).toBeFocused();

    await widget.send("hello");
    await widget.expectReply("You said: hello");
    await press(widget.button("End conversation"));
    await expect(widget.button("End conversation")).toBeHidden();
    await expect(widget.messageBox).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(widget.window).toBeHidden();
  });
}
