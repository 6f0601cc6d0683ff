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

  /**
   * Every row of the (virtualized) message list: scrolls it from the top to the bottom, a part of
   * a screenful at a time, and reads the rows mounted at each stop (`visit`, if given, runs there
   * too). Only the rows near the viewport are in the DOM (docs/host-api.md, "Long histories").
   */
  async sweep(visit?: () => Promise<void>): Promise<Row[]> {
    const scroller = this.scope.locator(".cq-scroll");
    const seen = new Map<number, Row>();
    await scroller.evaluate((el) => {
      el.scrollTop = 0;
    });
    for (let stop = 0; stop < 2_000; stop++) {
      const at = await scroller.evaluate(async (el) => {
        // The range follows the scroll at the next frame; measured rows settle one frame later.
        for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
        const rows = Array.from(el.querySelectorAll<HTMLElement>(".cq-row")).map((row) => {
          const m = row.querySelector<HTMLElement>(".cq-message");
          return {
            index: Number(row.dataset.index),
            setsize: Number(row.getAttribute("aria-setsize")),
            classes: m?.className ?? "",
            status: m?.dataset.status ?? null,
            text: m?.textContent ?? "",
          };
        });
        return { rows, bottom: el.scrollTop + el.clientHeight >= el.scrollHeight - 2 };
      });
      for (const row of at.rows) seen.set(row.index, row);
      if (visit) await visit();
      const total = at.rows[0]?.setsize ?? 0;
      if (at.bottom && seen.has(total - 1)) break;
      await scroller.evaluate((el) => {
        el.scrollTop += Math.max(40, el.clientHeight * 0.6);
      });
    }
    return [...seen.values()].sort((a, b) => a.index - b.index);
  }

  /** Waits until the list holds `n` messages (mounted or not). */
  async expectMessageCount(n: number): Promise<void> {
    if (n === 0) return expect(this.messages.locator(".cq-row")).toHaveCount(0);
    await expect(this.messages.locator(".cq-row").first()).toHaveAttribute("aria-setsize", String(n));
  }

  /** Waits until an agent reply containing `text` finished streaming. */
  async expectReply(text: string | RegExp): Promise<Locator> {
    const reply = this.messages.locator(".cq-message--agent[aria-busy=false], .cq-message--human").filter({ hasText: text });
    await expect(reply.last()).toBeVisible();
    return reply.last();
  }
}

/** A mounted row of the message list, as [`Widget.sweep`] read it. */
export type Row = { index: number; setsize: number; classes: string; status: string | null; text: string };

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
