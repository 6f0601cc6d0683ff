import { expect, test, type Page } from "@playwright/test";
import { MODES, Widget, type Mode } from "./widget";

// Copy buttons (docs/host-api.md, "Copy buttons"): a finished reply and each code block of it,
// in both modes (iframe mode needs the frame's `allow="clipboard-write"`, which embed.js sets).
// What was copied is read back from the clipboard.

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

// The demo agent's /markdown reply (src/agent/demo.rs), as sent.
const MARKDOWN =
  "# Markdown tour\n\nReplies render **bold**, *italic*, `inline code` and [links](https://example.com/docs) " +
  "(they open in a new tab).\n\n## Lists\n\n- Sizes 36 to 47\n- Free returns\n  1. Print the label\n  2. Drop it off\n\n" +
  '## Code\n\n```js\nColloquy.init({ mode: "iframe" });\n```\n\n> Quotes work too.';
const CODE = 'Colloquy.init({ mode: "iframe" });';

const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

async function markdownReply(page: Page, mode: Mode) {
  await page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify({ mode, load: "eager" }))}`);
  const widget = new Widget(page, mode);
  await widget.open();
  await widget.send("/markdown");
  const reply = await widget.expectReply("Markdown tour");
  return { widget, reply };
}

for (const mode of MODES) {
  test(`copy a reply and a code block, with the mouse (${mode})`, async ({ page }) => {
    const { reply } = await markdownReply(page, mode);
    await page.evaluate(() => navigator.clipboard.writeText("before"));
    const copy = reply.getByRole("button", { name: "Copy", exact: true });
    await copy.click();
    await expect.poll(() => clipboard(page)).toBe(MARKDOWN);
    // Visible on the button and announced by a polite status, then back after about 2 s.
    await expect(reply.getByRole("button", { name: "Copied" })).toBeVisible();
    await expect(reply.locator(".cq-meta > [role=status]")).toHaveText("Copied");
    await expect(reply.getByRole("button", { name: "Copy", exact: true })).toBeVisible({ timeout: 4_000 });
    await expect(reply.locator(".cq-meta > [role=status]")).toHaveText("");

    const code = reply.getByRole("button", { name: "Copy code" });
    await code.click();
    await expect.poll(() => clipboard(page)).toBe(CODE);
    await expect(reply.locator(".cq-code").getByRole("button", { name: "Copied" })).toBeVisible();
    await expect(reply.locator(".cq-code [role=status]")).toHaveText("Copied");
    await expect(reply.getByRole("button", { name: "Copy code" })).toBeVisible({ timeout: 4_000 });
  });

  test(`the copy buttons are reached with Tab from the reply's row and work from the keyboard (${mode})`, async ({ page }) => {
    const { widget, reply } = await markdownReply(page, mode);
    const row = widget.messages.locator(".cq-row").filter({ hasText: "Markdown tour" });
    await row.focus();
    // The reply's link comes first, then its code block's button.
    await page.keyboard.press("Tab");
    await expect(reply.getByRole("link", { name: "links" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(reply.getByRole("button", { name: "Copy code" })).toBeFocused();
    await page.keyboard.press("Enter");
    await expect.poll(() => clipboard(page)).toBe(CODE);
    await page.keyboard.press("Tab");
    await expect(reply.getByRole("button", { name: "Copy", exact: true })).toBeFocused();
    await page.keyboard.press("Space");
    await expect.poll(() => clipboard(page)).toBe(MARKDOWN);
    await expect(reply.getByRole("button", { name: "Copied" }).last()).toBeFocused();
  });
}

test("no copy button while a reply streams", async ({ page }) => {
  await page.goto(`/features.html?config=${encodeURIComponent(JSON.stringify({ load: "eager" }))}`);
  const widget = new Widget(page);
  await widget.open();
  await widget.send("/long 40");
  const streaming = widget.messages.locator(".cq-message--agent[aria-busy=true]");
  await expect(streaming).toBeVisible();
  await expect(streaming.getByRole("button", { name: "Copy", exact: true })).toHaveCount(0);
  const done = widget.messages.locator(".cq-message--agent[aria-busy=false]").filter({ hasText: "Sentence 39 of 40" });
  await expect(done.getByRole("button", { name: "Copy", exact: true })).toBeVisible({ timeout: 20_000 });
});
