import { expect, test, type Page } from "@playwright/test";
import { Widget } from "./widget";

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
