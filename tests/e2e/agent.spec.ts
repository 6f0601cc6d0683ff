import { expect, test, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { resolve as path } from "node:path";
import { MODES, Widget } from "./widget";

// The HTTP agent against the real reference server on loopback. The Playwright config starts one
// without auth on :18080 (with the widget) and one with JWTs on :18082; the crash test starts and
// kills its own on :18083.
const ROOT = path(__dirname, "../..");
const SERVER = process.env.COLLOQUY_SERVER ?? path(ROOT, "target/debug/colloquy-server");
const SECURE = "http://127.0.0.1:18082/api";

const events = (page: Page) => page.evaluate(() => (window as any).events as string[]);

for (const mode of MODES) {
  test(`a full conversation over HTTP, streamed (${mode})`, async ({ page }) => {
    await page.goto(`/http-agent.html?mode=${mode}`);
    const widget = new Widget(page, mode);
    await widget.open();
    await widget.send("/long 40");
    await expect(widget.messages.locator(".cq-message--agent[aria-busy=true]")).toBeVisible();
    await widget.expectReply("Sentence 39 of 40");
    await widget.send("/markdown");
    const reply = await widget.expectReply("Markdown tour");
    await expect(reply.locator("a[rel='noopener noreferrer']")).toHaveAttribute("target", "_blank");
    await widget.send("/handoff");
    await widget.expectReply("Hi, I'm Dana");
    await widget.send("my order is late");
    await widget.expectReply("looking into");
    expect(await events(page)).toEqual(expect.arrayContaining(["handoff:queued", "handoff:connected", "receive"]));
    // A human answered: everything the visitor wrote is read.
    await expect(widget.messages.locator(".cq-message--user").last()).toHaveAttribute("data-status", "read");
    const users = (await widget.sweep()).filter((r) => r.classes.includes("cq-message--user"));
    expect(users.map((r) => r.status)).toEqual(["read", "read", "read", "read"]);
  });
}

test("Stop aborts the HTTP reply; the next message goes through", async ({ page }) => {
  await page.goto("/http-agent.html");
  const widget = new Widget(page);
  await widget.open();
  const aborted = page.waitForEvent("requestfailed", (r) => r.url().includes("/messages"));
  await widget.send("/long 300");
  const reply = widget.messages.locator(".cq-message--agent");
  await expect(reply).toContainText("Sentence 3 ");
  await widget.button("Stop").click();
  expect((await aborted).failure()?.errorText).toContain("ABORTED");
  await expect(reply).toHaveAttribute("aria-busy", "false");
  await widget.send("after the stop");
  await widget.expectReply("You said: after the stop");
});

test("a JWT that expired is renewed through authTokenNeeded before sending", async ({ page, request }) => {
  const short = (await (await request.post(`${SECURE}/token`, { data: { ttl: 5 } })).json()).token;
  await page.goto(`/http-agent.html?api=${encodeURIComponent(SECURE)}&token=${short}`);
  const widget = new Widget(page);
  await widget.open();
  await widget.send("first");
  await widget.expectReply("You said: first");
  expect(await page.evaluate(() => (window as any).tokenRequests)).toBe(0);
  await page.waitForTimeout(5_500); // the token's exp passes
  await widget.send("second");
  await widget.expectReply("You said: second");
  expect(await page.evaluate(() => (window as any).tokenRequests)).toBe(1);
  expect(await events(page)).toContain("authTokenNeeded");
  expect(await events(page)).not.toContain("error:AUTH_ERROR");
});

test("a token the server refuses (401) is renewed and the message retried once", async ({ page }) => {
  await page.goto(`/http-agent.html?api=${encodeURIComponent(SECURE)}&token=not-a-jwt`);
  const widget = new Widget(page);
  await widget.open();
  await widget.send("hello");
  await widget.expectReply("You said: hello");
  expect(await page.evaluate(() => (window as any).tokenRequests)).toBe(1);
  await expect(widget.messages.locator(".cq-message--user")).toHaveAttribute("data-status", "delivered");
});

test.describe("faults lose no message", () => {
  test("the server is killed mid-stream: failed with retry, then delivered", async ({ page }) => {
    const port = 18083;
    const start = () =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(SERVER, ["--dist", path(ROOT, "dist"), "--addr", `127.0.0.1:${port}`], {
          env: { ...process.env, COLLOQUY_CHUNK_MS: "60", COLLOQUY_ALLOWED_ORIGINS: "http://localhost:18081,http://127.0.0.1:18080" },
          stdio: ["ignore", "pipe", "inherit"],
        });
        child.stdout!.on("data", (d) => String(d).includes("serving") && resolve(child));
        child.on("error", reject);
      });
    let server = await start();
    try {
      await page.goto(`/http-agent.html?api=${encodeURIComponent(`http://127.0.0.1:${port}/api`)}`);
      const widget = new Widget(page);
      await widget.open();
      await widget.send("/long 80");
      await expect(widget.messages.locator(".cq-message--agent[aria-busy=true]")).toContainText("Sentence 3 ");
      server.kill("SIGKILL");
      const user = widget.messages.locator(".cq-message--user");
      await expect(user).toHaveAttribute("data-status", "failed");
      await expect(user.getByRole("button", { name: "Retry" })).toBeVisible();
      expect(await events(page)).toContain("error:CONNECTION_ERROR");
      server = await start();
      await user.getByRole("button", { name: "Retry" }).click();
      await widget.expectReply("Sentence 79 of 80");
      await expect(user).toHaveAttribute("data-status", "delivered");
      // The partial reply was replaced, not duplicated.
      await expect(widget.messages.locator(".cq-message--agent")).toHaveCount(1);
    } finally {
      server.kill("SIGKILL");
    }
  });

  test("HTTP 500: failed with retry, then delivered", async ({ page }) => {
    let failures = 1;
    await page.route("**/api/conversations/*/messages", async (route) => {
      if (failures-- > 0) return route.fulfill({ status: 500, body: "upstream exploded" });
      return route.continue();
    });
    await page.goto("/http-agent.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("are you there?");
    const user = widget.messages.locator(".cq-message--user");
    await expect(user).toHaveAttribute("data-status", "failed");
    expect(await events(page)).toContain("error:SEND_ERROR");
    await user.getByRole("button", { name: "Retry" }).click();
    await widget.expectReply("You said: are you there?");
    await expect(user).toHaveAttribute("data-status", "delivered");
  });

  test("a malformed event in the stream is rejected and the reply still completes", async ({ page }) => {
    await page.goto("/http-agent.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("/malformed");
    await widget.expectReply("Part one. Part two.");
    expect(await events(page)).toContain("error:PROTOCOL_ERROR");
    await expect(widget.messages.locator(".cq-message--user")).toHaveAttribute("data-status", "delivered");
    await expect(widget.messages).not.toContainText("broken");
  });

  test("offline then online: queued, then sent by itself", async ({ page, context }) => {
    await page.goto("/http-agent.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("before");
    await widget.expectReply("You said: before");
    await context.setOffline(true);
    await widget.send("while offline");
    const queued = widget.messages.locator(".cq-message--user", { hasText: "while offline" });
    await expect(queued).toHaveAttribute("data-status", "queued");
    await expect(queued).toContainText("Waiting for the network");
    expect(await events(page)).toContain("error:NETWORK_ERROR");
    await context.setOffline(false);
    await widget.expectReply("You said: while offline");
    await expect(queued).toHaveAttribute("data-status", "delivered");
  });

  test("a reload mid-conversation restores it through pre:threadLoaded", async ({ page }) => {
    await page.goto("/http-agent.html");
    const widget = new Widget(page);
    await widget.open();
    await widget.send("remember me");
    await widget.expectReply("You said: remember me");
    await page.reload();
    const again = new Widget(page);
    await expect(again.window).toBeVisible(); // it was open
    await expect(again.messages.locator(".cq-message--user .cq-text")).toHaveText("remember me");
    await expect(again.messages).toContainText("You said: remember me");
    await expect.poll(() => events(page)).toContain("pre:threadLoaded");
    await again.send("and continue");
    await again.expectReply("You said: and continue");
    expect(await events(page)).not.toContain("conversation:started"); // the same conversation
  });

  test("two tabs of the same site stay in sync", async ({ context }) => {
    const one = await context.newPage();
    const two = await context.newPage();
    await one.goto("/http-agent.html");
    await two.goto("/http-agent.html");
    const a = new Widget(one);
    const b = new Widget(two);
    await a.open();
    await a.send("typed in tab one");
    await a.expectReply("You said: typed in tab one");
    await b.open();
    await expect(b.messages).toContainText("typed in tab one");
    await expect(b.messages).toContainText("You said: typed in tab one");
    await b.send("answered in tab two");
    await b.expectReply("You said: answered in tab two");
    await expect(a.messages).toContainText("answered in tab two");
  });
});
