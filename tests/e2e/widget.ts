import { expect, type FrameLocator, type Locator, type Page } from "@playwright/test";

/** The embedded widget, as a visitor sees it: found by roles and accessible names. */
export class Widget {
  readonly frame: FrameLocator;
  readonly iframe: Locator;

  constructor(readonly page: Page) {
    this.iframe = page.locator(".colloquy-host iframe");
    this.frame = this.iframe.contentFrame();
  }

  get launcher(): Locator {
    return this.frame.getByRole("button", { name: "Open chat" });
  }

  get window(): Locator {
    return this.frame.getByRole("dialog");
  }

  get messageBox(): Locator {
    return this.frame.getByRole("textbox", { name: "Message" });
  }

  get messages(): Locator {
    return this.frame.getByRole("log");
  }

  async open(): Promise<void> {
    await this.launcher.click();
    await expect(this.window).toBeVisible();
  }

  async send(text: string): Promise<void> {
    await this.messageBox.fill(text);
    await this.frame.getByRole("button", { name: "Send" }).click();
  }

  /** Waits until the agent's reply with exactly `text` finished streaming. */
  async expectReply(text: string): Promise<void> {
    await expect(this.messages.locator(".cq-message--agent[aria-busy=false]").filter({ hasText: text })).toHaveCount(1);
  }
}

/** What the host page's handlers collected in `window.received`. */
export async function received<T = any>(page: Page): Promise<T[]> {
  return page.evaluate(() => (window as any).received);
}
