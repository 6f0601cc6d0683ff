import { expect, test, type Page } from "@playwright/test";
import { MODES, Widget, type Mode } from "./widget";

// Issue 11: unread messages (badge, accessible name, `unread:change`, title marker, browser
// notification, kept across a reload), loadThread with watsonx's `response_type`, and a reload
// in the middle of a human handoff.

const open = (page: Page, config: object) =>
  page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify(config))}`);
const events = (page: Page) => page.evaluate(() => (window as any).events as string[]);
const demo = { kind: "demo", chunkMs: 0 };

/** Makes the page (and the widget's frame) report `visibilityState` `hidden` or `visible`. */
async function setHidden(page: Page, w: Widget, hidden: boolean) {
  const flip = (hidden: boolean) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event("visibilitychange"));
  };
  await page.evaluate(flip, hidden);
  if (w.mode === "iframe") {
    const frame = await (await w.iframe.elementHandle())!.contentFrame();
    await frame!.evaluate(flip, hidden);
  }
}

/** A stand-in for the browser's Notification (headless Chromium shows none): records them. */
function fakeNotifications(permission: string) {
  const w = window as any;
  w.notes = [];
  w.asked = 0;
  w.Notification = class {
    static permission = permission;
    static requestPermission() {
      w.asked++;
      w.Notification.permission = "granted";
      return Promise.resolve("granted");
    }
    onclick: (() => void) | null = null;
    constructor(title: string, options: { body: string }) {
      w.notes.push({ title, body: options.body });
      w.lastNote = this;
    }
  };
}

for (const mode of MODES) {
  test.describe(`unread messages (${mode})`, () => {
    test(`a reply while the window is closed: badge, name, unread:change, cleared on open, kept across a reload (${mode})`, async ({ page }) => {
      await open(page, { mode, agent: demo });
      const widget = new Widget(page, mode);
      await expect(widget.launcher).toBeEnabled();
      await page.evaluate(() => {
        const w = window as any;
        w.domCounts = [];
        w.instance.hostElement.addEventListener("colloquy:unread:change", (e: CustomEvent) => w.domCounts.push(e.detail.count));
      });
      await page.evaluate(() => (window as any).instance.send("hello while closed"));
      await expect(widget.scope.getByRole("button", { name: "Open chat, 1 unread message" })).toBeVisible();
      const badge = widget.scope.locator(".cq-badge");
      await expect(badge).toHaveText("1");
      // The badge is drawn inside what the host page shows (the iframe's box, or the viewport).
      const box = (await badge.boundingBox())!;
      const frame = mode === "iframe" ? (await widget.iframe.boundingBox())! : { x: 0, y: 0, width: 1280, height: 800 };
      expect(box.x).toBeGreaterThanOrEqual(frame.x);
      expect(box.y).toBeGreaterThanOrEqual(frame.y);
      expect(box.x + box.width).toBeLessThanOrEqual(frame.x + frame.width + 0.5);
      expect(box.y + box.height).toBeLessThanOrEqual(frame.y + frame.height + 0.5);
      await page.evaluate(() => (window as any).instance.send("and again"));
      await expect(widget.scope.getByRole("button", { name: "Open chat, 2 unread messages" })).toBeVisible();
      // The count survives a reload.
      await page.reload();
      await expect(widget.scope.getByRole("button", { name: "Open chat, 2 unread messages" })).toBeEnabled();
      await expect(widget.scope.locator(".cq-badge")).toHaveText("2");
      await page.evaluate(() => {
        const w = window as any;
        w.domCounts = [];
        w.instance.hostElement.addEventListener("colloquy:unread:change", (e: CustomEvent) => w.domCounts.push(e.detail.count));
      });
      await widget.open();
      await expect.poll(() => page.evaluate(() => (window as any).domCounts)).toEqual([0]);
      await widget.button("Close chat").click();
      await expect(widget.scope.getByRole("button", { name: "Open chat", exact: true })).toBeVisible();
      await expect(widget.scope.locator(".cq-badge")).toHaveCount(0);
      expect(await events(page)).toContain("unread:change");
    });

    test(`the page hidden with the window open: counted, a title marker and a notification (${mode})`, async ({ page }) => {
      await page.addInitScript(fakeNotifications, "default");
      await open(page, { mode, agent: demo, title: "Shop help", unread: { title: true, notifications: true } });
      const widget = new Widget(page, mode);
      await widget.open();
      // Nothing is asked before the visitor does something.
      expect(await page.evaluate(() => (window as any).asked)).toBe(0);
      await widget.send("first");
      await widget.expectReply("You said: first");
      await expect.poll(() => page.evaluate(() => (window as any).asked)).toBe(1);
      await expect.poll(() => page.evaluate(() => (window as any).Notification.permission)).toBe("granted");
      expect(await page.title()).toBe("A host page whose widget config comes from the URL");
      await setHidden(page, widget, true);
      await page.evaluate(() => (window as any).instance.send("while away"));
      await expect.poll(() => page.title()).toBe("(1) A host page whose widget config comes from the URL");
      await expect.poll(() => page.evaluate(() => (window as any).notes)).toEqual([{ title: "Shop help", body: "You said: while away" }]);
      // Back on the page with the window open: seen.
      await setHidden(page, widget, false);
      await expect.poll(() => page.title()).toBe("A host page whose widget config comes from the URL");
      // A click on the notification opens the window.
      await widget.button("Close chat").click();
      await setHidden(page, widget, true);
      await page.evaluate(() => (window as any).instance.send("closed and away"));
      await expect.poll(() => page.evaluate(() => (window as any).notes.length)).toBe(2);
      await page.evaluate(() => (window as any).lastNote.onclick());
      await expect(widget.window).toBeVisible();
    });
  });

  test(`loadThread takes watsonx's response_type and hands it back (${mode})`, async ({ page }) => {
    await open(page, { mode, agent: demo });
    const widget = new Widget(page, mode);
    await widget.open();
    const seen = await page.evaluate(async () => {
      const w = window as any;
      let seen: any = null;
      w.instance.on("pre:threadLoaded", (ev: any) => {
        seen = ev.messages.map((m: any) => m.content[0]);
      });
      await w.instance.loadThread([
        { id: "u1", sender: "user", content: [{ response_type: "text", text: "Asked the watsonx way" }], message_state: { timestamp: 1 } },
        { id: "a1", sender: "response", content: [{ type: "text", text: "Answered **our** way" }], message_state: {} },
      ]);
      for (let i = 0; i < 100 && !seen; i++) await new Promise((r) => setTimeout(r, 20));
      return seen;
    });
    expect(seen).toEqual([
      { id: "", response_type: "text", text: "Asked the watsonx way" },
      { id: "", type: "text", text: "Answered **our** way" },
    ]);
    await expect(widget.messages.locator(".cq-message--user")).toHaveText(/Asked the watsonx way/);
    await expect(widget.messages.locator(".cq-message--agent strong")).toHaveText("our");
  });

  test(`a reload in the middle of a handoff keeps the human agent and the notices (${mode})`, async ({ page }) => {
    await open(page, { mode, agent: demo });
    const widget = new Widget(page, mode);
    await widget.open();
    await widget.send("/handoff");
    await widget.expectReply("Hi, I'm Dana");
    const status = widget.scope.locator(".cq-status");
    await expect(status).toHaveText("Dana · Team member");
    const notices = widget.messages.locator(".cq-notice");
    const before = await notices.allTextContents();
    expect(before.length).toBeGreaterThanOrEqual(2);
    await page.reload();
    await expect(widget.window).toBeVisible();
    await expect(status).toHaveText("Dana · Team member");
    await expect(notices).toHaveText(before);
    await expect(widget.scope.locator(".cq-avatar")).toHaveText("D");
  });
}
