import { expect, test } from "@playwright/test";
import { Widget, received } from "./widget";

test.describe("walking skeleton: a host page on another origin embeds the widget", () => {
  test("opens, echoes, and the host's handlers get chat:ready, view:change and send", async ({ page }) => {
    await page.goto("/skeleton.html");
    const widget = new Widget(page);
    await expect(widget.launcher).toBeEnabled();
    await expect(widget.iframe).toHaveAttribute("src", /^http:\/\/127\.0\.0\.1:18080\/index\.html\?embed=1&origin=http%3A%2F%2Flocalhost%3A18081$/);

    await widget.open();
    await expect(widget.messageBox).toBeFocused();
    await widget.send("hello from the host");
    await expect(widget.messages.locator(".cq-message--user .cq-text")).toHaveText("hello from the host");
    await widget.expectReply("You said: hello from the host");

    await expect.poll(async () => (await received(page)).map((e) => e.type)).toContain("send");
    const events = await received(page);
    expect(events.find((e) => e.type === "chat:ready")).toEqual({ type: "chat:ready" });
    const views = events.filter((e) => e.type === "view:change");
    // Registered after load: the current view state is replayed first, then the launcher click.
    expect(views[0]).toEqual({
      type: "view:change",
      reason: "chatLoaded",
      oldViewState: { launcher: false, mainWindow: false },
      newViewState: { launcher: true, mainWindow: false },
    });
    expect(views[1]).toEqual({
      type: "view:change",
      reason: "launcherClicked",
      oldViewState: { launcher: true, mainWindow: false },
      newViewState: { launcher: false, mainWindow: true },
    });
    const send = events.find((e) => e.type === "send");
    expect(send.message.message).toEqual({ role: "user", content: "hello from the host" });
    expect(send.message.threadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("calls made before an async embed.js loaded are queued and replayed", async ({ page }) => {
    await page.goto("/async-stub.html");
    const widget = new Widget(page);
    await expect(widget.launcher).toBeEnabled();
    await expect.poll(() => received(page)).toEqual(["chat:ready"]);
  });

  test("the iframe grows with the window and shrinks back", async ({ page }) => {
    await page.goto("/skeleton.html");
    const widget = new Widget(page);
    await expect(widget.launcher).toBeEnabled();
    await expect.poll(async () => (await widget.iframe.boundingBox())?.width).toBe(96);
    await widget.open();
    await expect.poll(async () => (await widget.iframe.boundingBox())?.width).toBe(432);
    await widget.button("Close chat").click();
    await expect(widget.window).toBeHidden();
    await expect.poll(async () => (await widget.iframe.boundingBox())?.width).toBe(96);
  });

  test("the open window looks right", async ({ page }) => {
    await page.clock.setFixedTime(new Date("2026-11-16T10:42:00Z"));
    await page.goto("/skeleton.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("Where is my order?");
    await widget.expectReply("You said: Where is my order?");
    await widget.messageBox.blur();
    await expect(widget.iframe).toHaveScreenshot("open-window.png");
  });
});
