import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve as path } from "node:path";
import { MODES, Widget, consoleLines } from "./widget";

// The human hand-off end to end against the REAL reference server in queue mode (SQLite in a
// file): the visitor in the widget (live.html), the test acting as the person through the agent
// API (docs/agent-protocol.md, "The agent API") with an agent token. Each test starts its own
// colloquy-server on :18085 (in the widget page's connect-src) with a fresh store, so it can set
// the queue time-out and restart the server.

test.describe.configure({ mode: "serial" });

const ROOT = path(__dirname, "../..");
const SERVER = process.env.COLLOQUY_SERVER ?? path(ROOT, "target/debug/colloquy-server");
const PORT = 18085;
const API = `http://127.0.0.1:${PORT}/api`;
const SECRET = "e2e-handoff-secret";

/** A token from `colloquy-server token` (the server's own minting). */
const mint = (...args: string[]) =>
  execFileSync(SERVER, ["token", ...args], { env: { ...process.env, COLLOQUY_JWT_SECRET: SECRET } })
    .toString()
    .trim();

let dir: string;
let server: ChildProcess | undefined;

/** Starts colloquy-server on the test's store; resolves once it says it is serving. */
function start(queueTimeoutS = 0): Promise<ChildProcess> {
  return new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(SERVER, ["--dist", path(ROOT, "dist"), "--addr", `127.0.0.1:${PORT}`], {
      env: {
        ...process.env,
        COLLOQUY_ALLOWED_ORIGINS: "http://localhost:18081,http://127.0.0.1:18080",
        COLLOQUY_JWT_SECRET: SECRET,
        COLLOQUY_HANDOFF: "queue",
        COLLOQUY_DATABASE: `sqlite://${join(dir, "colloquy.db")}`,
        COLLOQUY_QUEUE_TIMEOUT_S: String(queueTimeoutS),
        COLLOQUY_HEARTBEAT_MS: "1000",
        COLLOQUY_CHUNK_MS: "5",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.stdout!.on("data", (d) => String(d).includes("serving") && resolve(child));
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`colloquy-server exited (${code})`)));
  });
}

async function stop(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM") {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

test.beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "colloquy-handoff-"));
});

test.afterEach(async () => {
  await stop(server, "SIGKILL");
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The person at the agent API. */
class Person {
  readonly headers: Record<string, string>;
  constructor(
    readonly request: APIRequestContext,
    name = "Dana",
  ) {
    this.headers = { Authorization: `Bearer ${mint("--agent", name)}` };
  }
  async inbox() {
    const res = await this.request.get(`${API}/agent/conversations`, { headers: this.headers });
    expect(res.status()).toBe(200);
    return res.json();
  }
  /** The one queued conversation's id (waits for it). */
  async queued(): Promise<string> {
    await expect.poll(async () => (await this.inbox()).queue.length).toBe(1);
    return (await this.inbox()).queue[0].id;
  }
  async conversation(id: string) {
    const res = await this.request.get(`${API}/agent/conversations/${id}`, { headers: this.headers });
    expect(res.status()).toBe(200);
    return res.json();
  }
  async post(id: string, what: string, data?: unknown) {
    return this.request.post(`${API}/agent/conversations/${id}/${what}`, { headers: this.headers, data });
  }
  /** The texts of the conversation's history, with who wrote them. */
  async history(id: string): Promise<string[]> {
    const c = await this.conversation(id);
    return c.messages.map((m: any) => `${m.from}: ${m.content.map((i: any) => i.text ?? `[${i.type}]`).join(" ")}`);
  }
}

const native = (page: Page) => page.evaluate(() => (window as any).events as string[]);
const received = (page: Page) => page.evaluate(() => (window as any).received as any[]);
const saEvents = (lines: string[]) => lines.map((l) => /^Chat event: (\w+)/.exec(l)?.[1]).filter(Boolean);

async function visit(page: Page, mode: string): Promise<Widget> {
  const token = mint("--sub", "visitor", "--ttl", "900");
  await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}&token=${token}`);
  const widget = new Widget(page, mode as any);
  await widget.open();
  return widget;
}

for (const mode of MODES) {
  test(`${mode}: /handoff → queued → a person takes it, writes, types and ends it through the agent API`, async ({ page, request }) => {
    server = await start();
    const lines = consoleLines(page);
    const widget = await visit(page, mode);
    await widget.send("/handoff");
    await widget.expectReply("Let me connect you");
    await expect.poll(() => native(page)).toContain("handoff:queued");
    await expect(widget.scope.locator(".cq-status")).toHaveText("Waiting for a team member");

    const dana = new Person(request);
    const id = await dana.queued();
    expect(await dana.history(id)).toEqual(["visitor: /handoff", "bot: Let me connect you with a member of our team."]);
    // Two agents cannot both take it.
    const take = await dana.post(id, "take");
    expect(take.status()).toBe(200);
    expect((await take.json()).conversation).toMatchObject({ id, status: "active", agent: "Dana" });
    const late = await new Person(request, "Sam").post(id, "take");
    expect(late.status()).toBe(409);
    expect((await late.json()).code).toBe("CONFLICT");

    // The widget: connected, and the visitor's message read.
    await expect(widget.scope.locator(".cq-status")).toHaveText("Dana · Team member");
    await expect(widget.messages).toContainText("Dana joined the conversation");
    await expect(widget.messages.locator(".cq-message--user")).toHaveAttribute("data-status", "read");

    // The person writes; the visitor sees it live, as a human's message.
    expect((await dana.post(id, "messages", { text: "Hi, I'm Dana. How can I help?" })).status()).toBe(201);
    const hello = await widget.expectReply("Hi, I'm Dana. How can I help?");
    await expect(hello).toHaveClass(/cq-message--human/);
    await expect
      .poll(async () => (await received(page)).filter((m) => m.from === "human").map((m) => [m.agentName, m.content[0].text]))
      .toEqual([["Dana", "Hi, I'm Dana. How can I help?"]]);

    // The visitor answers: it reaches the person, not the AI agent.
    await widget.send("My order never came");
    // Sent (the server took it); read once the person has read it (below).
    await expect(widget.messages.locator(".cq-message--user").last()).toHaveAttribute("data-status", "sent");
    await expect.poll(() => dana.history(id)).toContain("visitor: My order never came");
    expect((await dana.history(id)).filter((m) => m.startsWith("bot:"))).toHaveLength(1);

    // The person types: the indicator shows, and goes with the next message.
    expect((await dana.post(id, "typing")).status()).toBe(204);
    await expect(widget.scope.locator(".cq-typing")).toBeVisible();
    expect((await dana.post(id, "messages", { text: "Sorry! I'll send a new one today." })).status()).toBe(201);
    await widget.expectReply("Sorry! I'll send a new one today.");
    await expect(widget.scope.locator(".cq-typing")).toHaveCount(0);
    await expect(widget.messages.locator(".cq-message--user").last()).toHaveAttribute("data-status", "read");

    // The person ends it.
    const end = await dana.post(id, "end");
    expect(end.status()).toBe(200);
    expect((await end.json()).conversation.status).toBe("ended");
    await expect.poll(() => native(page)).toContain("conversation:ended");
    await expect(widget.scope.locator(".cq-status")).toHaveText("Conversation ended");

    // Seed 003's saEvents sample logs the lifecycle, in order; the host's other channels too.
    await expect
      .poll(() => saEvents(lines))
      .toEqual(["CHAT_LOADED", "CHAT_VISIBLE", "CONTACT_STARTED", "TRANSFER_TO_QUEUE", "CONNECT_TO_AGENT", "CONTACT_ENDED"]);
    const lifecycle = (await native(page)).filter((n) => ["handoff:queued", "handoff:connected", "conversation:ended"].includes(n));
    expect(lifecycle).toEqual(["handoff:queued", "handoff:connected", "conversation:ended"]);
    expect(await page.evaluate(() => (window as any).dom)).toEqual(["handoff:queued", "handoff:connected", "conversation:ended"]);
    for (const text of ["Hi, I'm Dana. How can I help?", "Sorry! I'll send a new one today."]) {
      await expect(widget.messages.locator(".cq-message--human", { hasText: text })).toHaveCount(1);
    }
    expect((await native(page)).filter((n) => n.startsWith("error:"))).toEqual([]);
  });
}

test("the visitor ends a conversation a person has: it ends for the person too", async ({ page, request }) => {
  server = await start();
  const widget = await visit(page, "iframe");
  await widget.send("/handoff");
  await widget.expectReply("Let me connect you");
  const dana = new Person(request);
  const id = await dana.queued();
  expect((await dana.post(id, "take")).status()).toBe(200);
  await expect(widget.scope.locator(".cq-status")).toHaveText("Dana · Team member");
  await widget.button("End conversation").click();
  await expect(widget.scope.locator(".cq-status")).toHaveText("Conversation ended");
  // The widget told the server (POST .../end): the person's conversation has ended.
  await expect.poll(async () => (await dana.conversation(id)).status).toBe("ended");
  expect((await dana.inbox()).mine).toEqual([]);
  expect((await dana.post(id, "messages", { text: "Are you still there?" })).status()).toBe(409);
  expect((await native(page)).filter((n) => n.startsWith("error:"))).toEqual([]);
});

test("nobody takes the conversation within the queue time-out: the visitor gets the lead form", async ({ page, request }) => {
  server = await start(2);
  const widget = await visit(page, "iframe");
  await widget.send("/handoff");
  await widget.expectReply("Let me connect you");
  const reply = await widget.expectReply("Sorry, no one from our team is free right now.");
  await expect(reply.getByRole("form", { name: "Leave your details" })).toBeVisible();
  // Still queued for the widget; still in the agents' queue, marked timed out.
  await expect(widget.scope.locator(".cq-status")).toHaveText("Waiting for a team member");
  const dana = new Person(request);
  const inbox = await dana.inbox();
  expect(inbox.queue.map((c: any) => [c.status, c.timedOut])).toEqual([["queued", true]]);
  // Shown once, however long the visitor waits.
  await page.waitForTimeout(2_500);
  await expect(widget.messages.locator(".cq-message", { hasText: "no one from our team" })).toHaveCount(1);
  // A person who comes later still takes it.
  expect((await dana.post(inbox.queue[0].id, "take")).status()).toBe(200);
  await expect(widget.scope.locator(".cq-status")).toHaveText("Dana · Team member");
});

test("colloquy-server restarted mid-handoff (SQLite file): the conversation goes on, nothing lost or shown twice", async ({ page, request }) => {
  server = await start();
  const widget = await visit(page, "inline");
  await widget.send("/handoff");
  await widget.expectReply("Let me connect you");
  const dana = new Person(request);
  const id = await dana.queued();
  expect((await dana.post(id, "take")).status()).toBe(200);
  await dana.post(id, "messages", { text: "Before the restart" });
  await widget.expectReply("Before the restart");

  await stop(server, "SIGKILL");
  // While the server is down, nothing reaches anyone; it comes back on the same file.
  server = await start();
  await dana.post(id, "messages", { text: "After the restart" });
  await widget.expectReply("After the restart");
  await widget.send("Still here");
  await expect(widget.messages.locator(".cq-message--user").last()).toHaveAttribute("data-status", "sent");
  await expect.poll(() => dana.history(id)).toContain("visitor: Still here");
  expect(await dana.history(id)).toEqual([
    "visitor: /handoff",
    "bot: Let me connect you with a member of our team.",
    "human: Before the restart",
    "human: After the restart",
    "visitor: Still here",
  ]);
  for (const text of ["Before the restart", "After the restart"]) {
    await expect(widget.messages.locator(".cq-message--human", { hasText: text })).toHaveCount(1);
  }
  expect((await native(page)).filter((n) => n === "handoff:connected")).toHaveLength(1);
  expect((await native(page)).filter((n) => n.startsWith("error:"))).toEqual([]);
});
