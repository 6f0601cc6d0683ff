import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { CONSOLE_API, CONSOLE_SECRET, SERVER } from "./playwright.config";
import { Widget, consoleLines } from "./widget";

// The agent console (console/, served at /console/) against a real colloquy-server in queue
// mode (the webServer on CONSOLE_API): a visitor on the live channel's host page in one browser
// context, agents in the console in others. docs/console.md says what the console does.

// One conversation queue for the file: the tests must not take each other's conversations.
test.describe.configure({ mode: "serial" });

const CONSOLE = `${CONSOLE_API}/console/`;

/** A token from `colloquy-server token ...` signed with the e2e server's secret. */
function token(...args: string[]): string {
  return execFileSync(SERVER, ["token", ...args], { env: { ...process.env, COLLOQUY_JWT_SECRET: CONSOLE_SECRET } })
    .toString()
    .trim();
}

/** The agent console, as an agent sees it: found by roles and accessible names. */
class AgentConsole {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, agentToken: string): Promise<AgentConsole> {
    const page = await (await browser.newContext()).newPage();
    const c = new AgentConsole(page);
    await page.goto(CONSOLE);
    await c.signIn(agentToken);
    return c;
  }

  async signIn(t: string) {
    await this.page.getByLabel("Agent token").fill(t);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  /** A conversation's row in a list (its button is named after the visitor). */
  item(list: "Queue" | "My conversations", title: string) {
    return this.page.getByRole("region", { name: list }).getByRole("button", { name: new RegExp(`^${title}`) });
  }

  get thread() {
    return this.page.getByRole("log", { name: "Messages" });
  }

  get reply() {
    return this.page.getByRole("textbox", { name: "Reply to the visitor" });
  }

  button(name: string) {
    return this.page.getByRole("button", { name, exact: true });
  }
}

/** The visitor: the widget (iframe) on the live channel's host page, on the e2e server's API. */
async function visitor(browser: Browser) {
  const page = await (await browser.newContext()).newPage();
  const lines = consoleLines(page);
  const api = `${CONSOLE_API}/api`;
  const visitorToken = token("--sub", `visitor-${Date.now()}`, "--ttl", "600");
  await page.goto(`/live.html?mode=iframe&api=${encodeURIComponent(api)}&token=${visitorToken}`);
  const widget = new Widget(page, "iframe");
  await widget.open();
  // The conversation's id, from the widget's first message (the console names it after it).
  const sent = page.waitForRequest((r) => /\/api\/conversations\/[\w-]+\/messages$/.test(r.url()));
  await widget.send("/handoff");
  const id = /\/conversations\/([\w-]+)\/messages$/.exec((await sent).url())![1];
  return { page, widget, lines, title: `Visitor ${id.slice(0, 8)}` };
}

/** Zero axe-core violations, light and dark. */
async function accessible(page: Page) {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).analyze();
    const found = results.violations.map((v) => `${colorScheme} ${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    expect(found).toEqual([]);
  }
}

const saEvents = (lines: string[]) => lines.map((l) => /^Chat event: (\w+)/.exec(l)?.[1]).filter(Boolean);

test("sign-in: a visitor's token and an expired agent token are refused with the server's reason", async ({ page }) => {
  await page.goto(CONSOLE);
  const c = new AgentConsole(page);
  const field = page.getByLabel("Agent token");
  await c.signIn(token("--sub", "someone", "--ttl", "300"));
  await expect(page.getByRole("alert").filter({ hasText: "Sign-in refused" })).toHaveText(
    "Sign-in refused: this is not an agent token (403 FORBIDDEN)",
  );
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(field).toBeFocused();
  await accessible(page);
  const expired = token("--agent", "Late", "--ttl", "1");
  await page.waitForTimeout(1_100);
  await c.signIn(expired);
  await expect(page.getByRole("alert").filter({ hasText: "Sign-in refused" })).toContainText("token refused: Expired (401 AUTH_ERROR)");
  await c.signIn("not a token");
  await expect(page.getByRole("alert").filter({ hasText: "Sign-in refused" })).toContainText("(401 AUTH_ERROR)");
  // A good token: signed in, the token kept for this tab (a reload stays signed in).
  await c.signIn(token("--agent", "Dana"));
  await expect(page.getByText("Signed in as Dana")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  await page.reload();
  await expect(page.getByText("Signed in as Dana")).toBeVisible();
  await c.button("Sign out").click();
  await expect(page.getByLabel("Agent token")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Agent token")).toBeVisible();
});

test("a handoff staffed from the console: queued, taken, messages and typing both ways, ended", async ({ browser }) => {
  // Two browser contexts and four axe passes: about 15 s on CI, more on a loaded machine.
  test.setTimeout(60_000);
  const agent = await AgentConsole.open(browser, token("--agent", "Dana"));
  await expect(agent.page.getByRole("status").filter({ hasText: "Live" })).toBeVisible();
  const v = await visitor(browser);
  await v.widget.expectReply("connect you");
  // Queued: it appears in the agent's queue, live, with its history so far.
  const queued = agent.item("Queue", v.title);
  await expect(queued).toBeVisible();
  await queued.click();
  await expect(agent.page.getByRole("heading", { name: v.title })).toBeFocused();
  await expect(agent.thread.getByRole("listitem").filter({ hasText: "/handoff" })).toBeVisible();
  await expect(agent.page.getByText("Waiting in the queue", { exact: true })).toBeVisible();
  // Take: it moves to "My conversations"; the reply box has the focus; the visitor is told.
  await agent.button("Take").click();
  await expect(agent.item("My conversations", v.title)).toBeVisible();
  await expect(agent.item("Queue", v.title)).toHaveCount(0);
  await expect(agent.reply).toBeFocused();
  await expect(v.widget.messages).toContainText("Dana");
  // The agent types: the visitor sees the typing indicator, then the message.
  await agent.reply.pressSequentially("Hi, I'm Dana. ");
  await expect(v.widget.scope.locator(".cq-typing")).toBeVisible();
  await agent.reply.pressSequentially("How can I help?");
  await agent.reply.press("Enter");
  await v.widget.expectReply("Hi, I'm Dana. How can I help?");
  await expect(agent.reply).toHaveValue("");
  await expect(agent.thread.getByRole("listitem").filter({ hasText: "How can I help?" })).toContainText("You");
  // The visitor has the window open: the agent's message is reported read.
  await expect(agent.thread.getByRole("listitem").filter({ hasText: "How can I help?" })).toContainText("Seen");
  await accessible(agent.page);
  // The visitor types: the agent sees it, then the message, live.
  await v.widget.messageBox.pressSequentially("My order");
  await expect(agent.page.getByText("The visitor is typing…")).toBeVisible();
  await v.widget.messageBox.fill("My order has not arrived.");
  await v.widget.scope.getByRole("button", { name: "Send" }).click();
  await expect(agent.thread.getByRole("listitem").filter({ hasText: "My order has not arrived." })).toContainText("Visitor");
  await expect(agent.page.getByText("The visitor is typing…")).toHaveCount(0);
  // Agent text is text, never markup, on both sides.
  await agent.reply.fill("<b>bold?</b> & more");
  await agent.button("Send").click();
  await v.widget.expectReply("<b>bold?</b> & more");
  await expect(agent.thread.locator("b")).toHaveCount(0);
  // End: the visitor sees the hand-off end; the conversation leaves "My conversations".
  await agent.button("End conversation").click();
  await expect(agent.page.getByText("Ended", { exact: true })).toBeVisible();
  await expect(agent.item("My conversations", v.title)).toHaveCount(0);
  await expect(agent.reply).toHaveCount(0);
  await expect
    .poll(() => saEvents(v.lines))
    .toEqual(["CHAT_LOADED", "CHAT_VISIBLE", "CONTACT_STARTED", "TRANSFER_TO_QUEUE", "CONNECT_TO_AGENT", "CONTACT_ENDED"]);
  expect(await v.page.evaluate(() => (window as any).dom)).toEqual(["handoff:queued", "handoff:connected", "conversation:ended"]);
});

test("two agents: the second take of one conversation fails visibly and the inbox refreshes", async ({ browser }) => {
  const v = await visitor(browser);
  await v.widget.expectReply("connect you");
  const dana = await AgentConsole.open(browser, token("--agent", "Dana"));
  // Sam's console misses the live news (its event stream is cut): it still shows the
  // conversation as queued when Dana takes it, as a console would in the race.
  const samContext = await browser.newContext();
  const samPage = await samContext.newPage();
  await samPage.route("**/api/agent/events", (route) => route.abort());
  await samPage.goto(CONSOLE);
  const sam = new AgentConsole(samPage);
  await sam.signIn(token("--agent", "Sam"));
  await sam.item("Queue", v.title).click();
  await expect(sam.button("Take")).toBeVisible();
  await dana.item("Queue", v.title).click();
  await dana.button("Take").click();
  await expect(dana.item("My conversations", v.title)).toBeVisible();
  await sam.button("Take").click();
  await expect(sam.page.getByRole("alert")).toContainText("Taken by another agent: another agent took this conversation.");
  await expect(sam.item("Queue", v.title)).toHaveCount(0);
  await expect(sam.page.getByText("Another agent has this conversation")).toBeVisible();
  await expect(sam.button("Take")).toHaveCount(0);
  await expect(sam.item("My conversations", v.title)).toHaveCount(0);
  // Dana still has it, and the visitor was connected once, to Dana.
  await dana.reply.fill("Still me.");
  await dana.reply.press("Enter");
  await v.widget.expectReply("Still me.");
  await dana.button("End conversation").click();
  await expect(dana.page.getByText("Ended", { exact: true })).toBeVisible();
});
