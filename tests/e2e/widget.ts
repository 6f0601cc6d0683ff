import { expect, type FrameLocator, type Locator, type Page } from "@playwright/test";

export type Mode = "iframe" | "inline";
export const MODES: Mode[] = ["iframe", "inline"];

/** The embedded widget, as a visitor sees it: found by roles and accessible names. */
export class Widget {
  readonly iframe: Locator;
  /** Where the widget's DOM lives: the iframe's document, or the host element's shadow root. */
  readonly scope: FrameLocator | Locator;

  constructor(
    readonly page: Page,
    readonly mode: Mode = "iframe",
  ) {
    this.iframe = page.locator(".colloquy-host iframe");
    this.scope = mode === "iframe" ? this.iframe.contentFrame() : page.locator(".colloquy-host");
  }

  get launcher(): Locator {
    return this.scope.getByRole("button", { name: "Open chat" });
  }

  get window(): Locator {
    return this.scope.getByRole("dialog");
  }

  get messageBox(): Locator {
    return this.scope.getByRole("textbox", { name: "Message" });
  }

  get messages(): Locator {
    return this.scope.getByRole("log");
  }

  button(name: string): Locator {
    return this.scope.getByRole("button", { name, exact: true });
  }

  async open(): Promise<void> {
    await expect(this.launcher).toBeEnabled();
    await this.launcher.click();
    await expect(this.window).toBeVisible();
  }

  async send(text: string): Promise<void> {
    await this.messageBox.fill(text);
    await this.scope.getByRole("button", { name: "Send" }).click();
  }

  /** Waits until an agent reply containing `text` finished streaming. */
  async expectReply(text: string | RegExp): Promise<Locator> {
    const reply = this.messages.locator(".cq-message--agent[aria-busy=false], .cq-message--human").filter({ hasText: text });
    await expect(reply.last()).toBeVisible();
    return reply.last();
  }
}

/** What the host page's handlers collected in `window.received`. */
export async function received<T = any>(page: Page): Promise<T[]> {
  return page.evaluate(() => (window as any).received);
}

/** Collects the page's console output (the seed samples log with console.log / console.error). */
export function consoleLines(page: Page): string[] {
  const lines: string[] = [];
  page.on("console", (m) => lines.push(m.text()));
  return lines;
}

/** Waits until a console line matching `pattern` appeared. */
export async function expectLogged(lines: string[], pattern: string | RegExp): Promise<void> {
  const matches = (l: string) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l));
  await expect.poll(() => lines.some(matches), { message: `console: ${pattern}` }).toBe(true);
}
