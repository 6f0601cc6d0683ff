import { expect, test, type Page } from "@playwright/test";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { MODES, Widget, consoleLines } from "./widget";

// The live channel (docs/agent-protocol.md, "How the widget uses the event stream"), against an
// agent server written only from that document: replies to `/handoff` end with `handoff`
// `queued`; `GET /api/conversations/{id}/events` serves each conversation's events with ids,
// resumes after `Last-Event-ID`, and sends heartbeats. The test pushes what a human agent does.

// One worker for the whole file: it owns the agent server on a fixed port.
test.describe.configure({ mode: "serial" });

const PORT = 18084;
const API = `http://127.0.0.1:${PORT}/api`;

type Stored = { id: number; name: string; data: unknown };
type Conversation = {
  events: Stored[];
  streams: Set<ServerResponse>;
  requests: IncomingMessage["headers"][];
  /** The id of the visitor's last message. */
  lastMessage?: string;
};

let server: Server;
const conversations = new Map<string, Conversation>();
/** The bearer token the events stream wants (null: any). */
let wantToken: string | null = null;

function conversation(id: string): Conversation {
  let c = conversations.get(id);
  if (!c) {
    c = { events: [], streams: new Set(), requests: [] };
    conversations.set(id, c);
  }
  return c;
}

function frame(res: ServerResponse, name: string, data: unknown, id?: number) {
  res.write(`${id === undefined ? "" : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Stores an event of conversation `id` and sends it down its open streams. */
function push(id: string, name: string, data: unknown): number {
  const c = conversation(id);
  const stored = { id: (c.events.at(-1)?.id ?? 0) + 1, name, data };
  c.events.push(stored);
  for (const res of c.streams) frame(res, name, data, stored.id);
  return stored.id;
}

/** Sends an event down the open streams without storing it (a replay under a fresh id). */
function replay(id: string, name: string, data: unknown) {
  const c = conversation(id);
  const stored = { id: (c.events.at(-1)?.id ?? 0) + 1, name, data };
  c.events.push(stored);
  for (const res of c.streams) frame(res, name, data, stored.id);
}

const human = (conv: string, id: string, text: string) => ({
  id,
  threadId: conv,
  content: [{ id: `${id}-0`, type: "text", text }],
  timestamp: Date.now(),
  from: "human",
  agentName: "Dana",
});

function reply(res: ServerResponse, conv: string, text: string, id: string) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
  frame(res, "accepted", {});
  const bot = (t: string) => ({ id: `${id}-r`, threadId: conv, content: [{ id: `${id}-r-0`, type: "text", text: t }], timestamp: Date.now(), from: "bot" });
  if (text === "/handoff") {
    frame(res, "message", bot("Let me connect you with a member of our team."));
    frame(res, "handoff", { status: "queued", position: 1 });
  } else {
    frame(res, "message", bot(`You said: ${text}`));
  }
  frame(res, "done", {});
  res.end();
}

function events(req: IncomingMessage, res: ServerResponse, id: string) {
  const c = conversation(id);
  c.requests.push(req.headers);
  if (wantToken && req.headers.authorization !== `Bearer ${wantToken}`) {
    return void res.writeHead(401, { "Content-Type": "application/json" }).end('{"code":"AUTH_ERROR","message":"token refused"}');
  }
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
  const after = Number(req.headers["last-event-id"] ?? 0);
  for (const e of c.events.filter((e) => e.id > after)) frame(res, e.name, e.data, e.id);
  c.streams.add(res);
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), 1_000);
  res.on("close", () => {
    clearInterval(heartbeat);
    c.streams.delete(res);
  });
}

test.beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", req.headers.origin ?? "*");
    res.setHeader("Access-Control-Allow-Headers", "content-type, authorization, last-event-id");
    if (req.method === "OPTIONS") return void res.writeHead(204).end();
    const body: Buffer[] = [];
    req.on("data", (b) => body.push(b));
    req.on("end", () => {
      const url = req.url ?? "";
      const m = /^\/api\/conversations\/([\w-]+)\/(messages|events)$/.exec(url);
      if (req.method === "POST" && m?.[2] === "messages") {
        const { id, text } = JSON.parse(Buffer.concat(body).toString());
        conversation(m[1]).lastMessage = id;
        return reply(res, m[1], text, id);
      }
      if (req.method === "GET" && m?.[2] === "events") return events(req, res, m[1]);
      if (req.method === "POST" && url === "/api/conversations") {
        return void res.writeHead(201, { "Content-Type": "application/json" }).end(Buffer.concat(body));
      }
      res.writeHead(404, { "Content-Type": "application/json" }).end('{"code":"NOT_FOUND","message":"no such route"}');
    });
  });
  await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
});

test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test.beforeEach(() => {
  conversations.clear();
  wantToken = null;
});

/** The conversation whose events stream the widget opened (waits for it). */
async function opened(count = 1): Promise<[string, Conversation]> {
  await expect.poll(() => [...conversations.values()].reduce((n, c) => n + c.streams.size, 0), { message: "an open events stream" }).toBe(1);
  const found = [...conversations.entries()].find(([, c]) => c.streams.size > 0)!;
  await expect.poll(() => found[1].requests.length).toBeGreaterThanOrEqual(count);
  return found;
}

const native = (page: Page) => page.evaluate(() => (window as any).events as string[]);
const saEvents = (lines: string[]) => lines.map((l) => /^Chat event: (\w+)/.exec(l)?.[1]).filter(Boolean);

for (const mode of MODES) {
  test(`${mode}: a handoff goes on over the events stream; the host sees the lifecycle in order`, async ({ page }) => {
    const lines = consoleLines(page);
    await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}`);
    const widget = new Widget(page, mode);
    await widget.open();
    await widget.send("/handoff");
    await widget.expectReply("Let me connect you");
    const [conv, c] = await opened();
    expect(c.requests[0]["last-event-id"]).toBeUndefined();
    expect(c.requests[0].accept).toBe("text/event-stream");
    push(conv, "handoff", { status: "connected", agentName: "Dana" });
    push(conv, "read", { messageId: c.lastMessage });
    await expect(widget.messages.locator(".cq-message--user")).toHaveAttribute("data-status", "read");
    push(conv, "typing", {});
    await expect(widget.scope.locator(".cq-typing")).toBeVisible();
    push(conv, "message", human(conv, "h-1", "Hi, I'm Dana. How can I help?"));
    await widget.expectReply("Hi, I'm Dana");
    await expect(widget.scope.locator(".cq-typing")).toHaveCount(0);
    push(conv, "handoff", { status: "ended" });
    await expect.poll(() => saEvents(lines)).toEqual(["CHAT_LOADED", "CHAT_VISIBLE", "CONTACT_STARTED", "TRANSFER_TO_QUEUE", "CONNECT_TO_AGENT", "CONTACT_ENDED"]);
    const seen = (await native(page)).filter((n) => ["handoff:queued", "handoff:connected", "receive", "conversation:ended"].includes(n));
    expect(seen).toEqual(["receive", "handoff:queued", "handoff:connected", "receive", "conversation:ended"]);
    expect(await page.evaluate(() => (window as any).dom)).toEqual(["handoff:queued", "handoff:connected", "conversation:ended"]);
    // Ended closes the stream, and the widget does not come back.
    await expect.poll(() => c.streams.size).toBe(0);
    await page.waitForTimeout(1_500);
    expect(c.requests.length).toBe(1);
    expect(await native(page)).not.toContain("error:CONNECTION_ERROR");
  });

  test(`${mode}: the connection killed mid-handoff: it reconnects with Last-Event-ID, nothing lost or shown twice`, async ({ page }) => {
    await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}`);
    const widget = new Widget(page, mode);
    await widget.open();
    await widget.send("/handoff");
    const [conv, c] = await opened();
    push(conv, "handoff", { status: "connected", agentName: "Dana" });
    const last = push(conv, "message", human(conv, "h-1", "First from Dana"));
    await widget.expectReply("First from Dana");
    // Kill the connection; while the widget is away, Dana writes again.
    for (const res of c.streams) res.socket?.destroy();
    await expect.poll(() => c.streams.size).toBe(0);
    push(conv, "message", human(conv, "h-2", "Second from Dana"));
    await expect.poll(() => c.requests.length, { timeout: 10_000 }).toBe(2);
    expect(c.requests[1]["last-event-id"]).toBe(String(last));
    await widget.expectReply("Second from Dana");
    // A server that replays a message under a new event id: not shown again.
    replay(conv, "message", human(conv, "h-1", "First from Dana"));
    push(conv, "message", human(conv, "h-3", "Third from Dana"));
    await widget.expectReply("Third from Dana");
    for (const text of ["First from Dana", "Second from Dana", "Third from Dana"]) {
      await expect(widget.messages.locator(".cq-message--human", { hasText: text })).toHaveCount(1);
    }
    expect((await native(page)).filter((n) => n === "handoff:connected")).toHaveLength(1);
    expect((await native(page)).filter((n) => n === "receive")).toHaveLength(4);
  });

  test(`${mode}: a reload mid-handoff reopens the stream from the last event`, async ({ page }) => {
    await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}`);
    let widget = new Widget(page, mode);
    await widget.open();
    await widget.send("/handoff");
    const [conv, c] = await opened();
    push(conv, "handoff", { status: "connected", agentName: "Dana" });
    const last = push(conv, "message", human(conv, "h-1", "Before the reload"));
    await widget.expectReply("Before the reload");
    await page.reload();
    widget = new Widget(page, mode);
    await expect.poll(() => c.requests.length).toBe(2);
    expect(c.requests[1]["last-event-id"]).toBe(String(last));
    push(conv, "message", human(conv, "h-2", "After the reload"));
    // The window was open: it opens again by itself.
    await widget.expectReply("After the reload");
    await expect(widget.messages.locator(".cq-message--human", { hasText: "Before the reload" })).toHaveCount(1);
    // The handoff is not announced again.
    expect(await native(page)).not.toContain("handoff:connected");
  });

  test(`${mode}: a 401 on the events stream renews the token through authTokenNeeded`, async ({ page }) => {
    await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}&token=first-token`);
    const widget = new Widget(page, mode);
    await widget.open();
    wantToken = "fresh-token";
    await widget.send("/handoff");
    const [conv, c] = await opened(2);
    expect(c.requests.map((h) => h.authorization)).toEqual(["Bearer first-token", "Bearer fresh-token"]);
    expect(await page.evaluate(() => (window as any).tokenRequests)).toBe(1);
    push(conv, "handoff", { status: "connected", agentName: "Dana" });
    await expect(widget.messages).toContainText("Dana");
    expect(await native(page)).toContain("handoff:connected");
    expect(await native(page)).not.toContain("error:AUTH_ERROR");
  });

  test(`${mode}: agent.events "always" keeps the stream open without a handoff`, async ({ page }) => {
    await page.goto(`/live.html?mode=${mode}&api=${encodeURIComponent(API)}&events=always`);
    const widget = new Widget(page, mode);
    await widget.open();
    await widget.send("hello");
    await widget.expectReply("You said: hello");
    const [conv] = await opened();
    push(conv, "message", human(conv, "h-1", "A person from the team says hi"));
    await widget.expectReply("A person from the team says hi");
    expect(await native(page)).not.toContain("handoff:queued");
  });
}

test("a bad agent.events is a CONFIG_ERROR naming the field; the agent is kept with \"handoff\"", async ({ page }) => {
  const lines = consoleLines(page);
  await page.goto(`/live.html?mode=inline&api=${encodeURIComponent(API)}&events=sometimes`);
  const widget = new Widget(page, "inline");
  await widget.open();
  await expect.poll(() => native(page)).toContain("error:CONFIG_ERROR");
  expect(lines.some((l) => l.includes("`agent.events`") && l.includes("\"sometimes\""))).toBe(true);
  // The HTTP agent answers, and its stream opens at the handoff (the default), not before.
  await widget.send("hello");
  await widget.expectReply("You said: hello");
  await page.waitForTimeout(500);
  expect([...conversations.values()].reduce((n, c) => n + c.requests.length, 0)).toBe(0);
  await widget.send("/handoff");
  await opened();
  expect((await native(page)).filter((n) => n.startsWith("error:"))).toEqual(["error:CONFIG_ERROR"]);
});

test("a 404 on the events stream is one error, not a retry loop", async ({ page }) => {
  await page.route("**/api/conversations/*/events", (route) =>
    route.fulfill({ status: 404, contentType: "application/json", body: '{"code":"NOT_FOUND","message":"no such conversation"}' }),
  );
  let requests = 0;
  page.on("request", (r) => r.url().endsWith("/events") && requests++);
  await page.goto(`/live.html?mode=inline&api=${encodeURIComponent(API)}`);
  const widget = new Widget(page, "inline");
  await widget.open();
  await widget.send("/handoff");
  await expect.poll(() => native(page)).toContain("error:CONNECTION_ERROR");
  await page.waitForTimeout(2_500);
  expect(requests).toBe(1);
  expect((await native(page)).filter((n) => n.startsWith("error:"))).toEqual(["error:CONNECTION_ERROR"]);
});
