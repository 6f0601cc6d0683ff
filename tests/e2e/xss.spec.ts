import { expect, test, type Frame, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MODES, type Mode, Widget } from "./widget";

// Hostile text: every vector of a public XSS corpus (DOMPurify's test fixtures, see
// xss/README.md) plus our own markdown-specific ones, through every path that reaches the
// widget's DOM, in both modes. Nothing may execute (alert/confirm/prompt and a `window.__xss`
// setter are trapped in the host page and in the widget frame), and after each batch the
// widget's DOM (the frame's body, or the shadow root) must hold no active content.

type Vector = { title: string; payload: string };
const load = (file: string): Vector[] => JSON.parse(readFileSync(join(__dirname, "xss", file), "utf8"));
const VECTORS = [...load("dompurify-vectors.json"), ...load("extra-vectors.json")].map((v, i) => ({
  title: v.title || `vector #${i}`,
  payload: v.payload,
}));
const BATCH = 40;
const batches: Vector[][] = [];
for (let i = 0; i < VECTORS.length; i += BATCH) batches.push(VECTORS.slice(i, i + BATCH));

test.describe.configure({ timeout: 300_000 }); // 238 sends per mode: 40-80 s, more on a loaded 2-core machine

/** Installed in every frame before any script: anything that runs records itself in `__hits`. */
function trap() {
  const w = window as any;
  if (w.__hits) return; // installed already (one init script per start())
  w.__hits = [];
  const hit = (what: string) => w.__hits.push(`${what} in ${location.origin}`);
  w.alert = () => hit("alert");
  w.confirm = () => (hit("confirm"), false);
  w.prompt = () => (hit("prompt"), null);
  Object.defineProperty(w, "__xss", { configurable: false, get: () => undefined, set: () => hit("__xss") });
}

/** What `trap` recorded in the host page and in every frame. */
async function hits(page: Page): Promise<string[]> {
  const all: string[] = [];
  for (const f of page.frames()) all.push(...((await f.evaluate(() => (window as any).__hits).catch(() => [])) ?? []));
  return all;
}

/** Active content in the widget's DOM: the frame's body (iframe mode) or the shadow root. */
function scan(root: ParentNode): string[] {
  const bad: string[] = [];
  const forbidden = new Set(["SCRIPT", "IFRAME", "OBJECT", "EMBED", "BASE", "STYLE", "FRAME", "APPLET"]);
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset", "srcdoc"];
  for (const el of Array.from(root.querySelectorAll("*"))) {
    const tag = el.tagName.toUpperCase();
    if (forbidden.has(tag)) bad.push(`<${el.tagName.toLowerCase()}>`);
    if (tag === "META" && el.hasAttribute("http-equiv")) bad.push("<meta http-equiv>");
    for (const a of Array.from(el.attributes)) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`${name} on <${el.tagName.toLowerCase()}>`);
      const value = a.value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
      if (urlAttrs.includes(name) && /^(javascript|data|vbscript):/.test(value)) bad.push(`${name}=${a.value.slice(0, 40)}`);
    }
  }
  return bad;
}

async function widgetFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().some((f) => f.url().includes("embed=1"))).toBe(true);
  return page.frames().find((f) => f.url().includes("embed=1"))!;
}

/** The widget's root in the page: the frame's body (iframe mode) or the shadow root. */
async function scope(page: Page, mode: Mode): Promise<{ where: Page | Frame; root: string }> {
  if (mode === "inline") return { where: page, root: `document.querySelector(".colloquy-host").shadowRoot` };
  return { where: await widgetFrame(page), root: "document.body" };
}

/** Scans the widget DOM; returns the problems and how many messages it shows. */
async function inspect(page: Page, mode: Mode): Promise<{ bad: string[]; messages: number }> {
  const { where, root } = await scope(page, mode);
  return where.evaluate(`(() => { const r = ${root}; return { bad: (${scan.toString()})(r), messages: r.querySelectorAll(".cq-message").length }; })()`);
}

/**
 * The list is virtualized: scrolls it from top to bottom inside the page (one round trip, not
 * several per scroll stop) and scans every row while it is mounted. Returns the problems found
 * at any stop and how many distinct rows were seen.
 */
async function sweepScan(page: Page, mode: Mode): Promise<{ bad: string[]; rows: number }> {
  const { where, root } = await scope(page, mode);
  return where.evaluate(`(async () => {
    const root = ${root};
    const scan = ${scan.toString()};
    const el = root.querySelector(".cq-scroll");
    const bad = new Set();
    const seen = new Set();
    el.scrollTop = 0;
    for (let stop = 0; stop < 2000; stop++) {
      // The range follows the scroll at the next frame; measured rows settle one frame later.
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
      for (const b of scan(root)) bad.add(b);
      let total = 0;
      for (const row of root.querySelectorAll(".cq-row")) {
        seen.add(Number(row.dataset.index));
        total = Number(row.getAttribute("aria-setsize"));
      }
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2 && seen.has(total - 1)) break;
      el.scrollTop += Math.max(40, el.clientHeight * 0.9);
    }
    return { bad: [...bad], rows: seen.size };
  })()`);
}

/** Every row of the list scanned, then what the traps recorded; returns the rows seen. */
async function expectCleanRows(page: Page, mode: Mode, what: string): Promise<number> {
  const { bad, rows } = await sweepScan(page, mode);
  expect(bad, `${what}: active content in the widget DOM`).toEqual([]);
  expect(await hits(page), `${what}: script ran`).toEqual([]);
  return rows;
}

const trapped = new WeakSet<Page>();

async function start(page: Page, mode: Mode, config: object, strict = false): Promise<Widget> {
  if (!trapped.has(page)) {
    await page.addInitScript(trap);
    // Shown with a failure: what the widget reported.
    page.on("pageerror", (e) => console.log(`pageerror: ${e.message.slice(0, 300)}`));
    page.on("console", (m) => m.type() === "error" && console.log(`console.error: ${m.text().slice(0, 300)}`));
  }
  trapped.add(page);
  const full = { mode, persist: "none", agent: { kind: "demo", chunkMs: 0, thinkMs: 0 }, ...config };
  await page.goto(`/${strict ? "xss-strict" : "xss"}.html?config=${encodeURIComponent(JSON.stringify(full))}`);
  const widget = new Widget(page, mode);
  await widget.open();
  return widget;
}

async function expectClean(page: Page, mode: Mode, what: string): Promise<number> {
  const { bad, messages } = await inspect(page, mode);
  expect(bad, `${what}: active content in the widget DOM`).toEqual([]);
  expect(await hits(page), `${what}: script ran`).toEqual([]);
  return messages;
}

for (const mode of MODES) {
  test.describe(`XSS corpus (${mode})`, () => {
    test(`loadThread: user, agent and human messages, agent names, buttons, attachment names (${mode})`, async ({ page }) => {
      const widget = await start(page, mode, {});
      expect(await expectClean(page, mode, "baseline")).toBe(0);
      for (const [b, batch] of batches.entries()) {
        const thread = batch.flatMap((v, i) => [
          {
            id: `u${b}-${i}`,
            sender: "user",
            content: [{ type: "text", text: v.payload }],
            message_state: { timestamp: 1, attachments: [{ name: v.payload, fileType: "text/html", fileSize: 10 }] },
          },
          {
            id: `a${b}-${i}`,
            sender: "response",
            content: [
              { type: "text", text: v.payload },
              { type: "button", label: v.payload, value: v.payload },
            ],
            message_state: {},
          },
          {
            id: `h${b}-${i}`,
            sender: "response",
            content: [{ type: "text", text: v.payload }],
            message_state: { from: "human", agentName: v.payload },
          },
        ]);
        await page.evaluate((t) => (window as any).instance.loadThread(t), thread);
        await widget.expectMessageCount(thread.length);
        expect(await expectCleanRows(page, mode, `loadThread batch ${b}`)).toBe(thread.length);
      }
    });

    test(`sent text, echoed and streamed replies, pre:stream:delta and pre:receive rewrites, hostElement (${mode})`, async ({ page }) => {
      // iframe mode runs on the host page with a strict CSP: the handler below writes each
      // vector into the fallback hostElement, which lives in the host's own document
      // (docs/bridge.md); what crosses into the widget is the sanitized mirror.
      const widget = await start(page, mode, {}, mode === "iframe");
      await page.evaluate((mode) => {
        const w = window as any;
        const rewritten = new Set<string>();
        w.instance.on("pre:stream:delta", (ev: any) => {
          // The first chunk of each reply becomes the vector; the rest streams as it came.
          const id = ev.delta.content[0]?.id ?? "";
          if (!rewritten.has(id)) {
            rewritten.add(id);
            ev.delta.content.forEach((c: any) => (c.text = w.vector));
          }
        });
        w.instance.on("pre:receive", (ev: any) => {
          ev.message.content = [
            ...ev.message.content,
            { type: "text", text: w.vector },
            { type: "button", label: w.vector, value: "x", buttonType: "custom_event" },
            { type: "user_defined", user_defined: { vector: w.vector } },
          ];
        });
        w.instance.on("userDefinedResponse", (ev: any) => {
          if (mode === "iframe") ev.hostElement.innerHTML = "<p>mirrored:</p>" + w.vector;
          else ev.hostElement.textContent = w.vector; // inline: the real element, in this page
        });
      }, mode);
      for (const [b, batch] of batches.entries()) {
        // Blank text is never sent (by design); those vectors take the other paths.
        const sendable = batch.filter((v) => v.payload.trim() !== "");
        // One round trip per batch: the page sends each vector and waits for its reply.
        await page.evaluate(async (vectors) => {
          const w = window as any;
          for (const v of vectors) {
            w.vector = v.payload;
            const before = w.replies;
            await w.instance.send(v.payload);
            const t0 = Date.now();
            while (w.replies === before && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 5));
            if (w.replies === before) throw new Error(`vector "${v.title}": no reply within 10 s; errors: ${w.errors.join(" | ")}`);
          }
        }, sendable);
        await widget.expectMessageCount(2 * sendable.length);
        expect(await expectCleanRows(page, mode, `send batch ${b}`)).toBe(2 * sendable.length);
        if (mode === "iframe") {
          // The mirror rendered (sanitized) what the handler wrote.
          await expect(widget.scope.locator(".cq-user-defined").last()).toContainText("mirrored:");
        }
        await page.evaluate(() => (window as any).instance.restartConversation());
        await widget.expectMessageCount(0);
      }
      expect(await page.evaluate(() => (window as any).errors)).toEqual([]);
    });

    test(`config strings, action and lead form labels, typed form values, user names (${mode})`, async ({ page }) => {
      for (const [b, batch] of batches.entries()) {
        const text = batch.map((v) => v.payload);
        const widget = await start(page, mode, {
          title: text[0],
          greeting: text[1] ?? "",
          user: { name: text[2] ?? "", email: text[3] ?? "" },
          actions: [
            ...text.map((t, i) => ({ id: `b${i}`, type: "button", label: t })),
            { id: "f", type: "form", label: "Form", fields: text.map((t, i) => ({ key: `k${i}`, label: t })) },
            { id: "l", type: "link", label: text[4] ?? "link", url: "https://example.com/" },
          ],
          lead: { fields: text.slice(0, 8).map((t, i) => ({ key: `l${i}`, label: t, type: "text" })) },
        });
        await page.evaluate((t) => (window as any).instance.updateUser({ name: t[0], nickname: t[1] }), text);
        // Labels are vectors: find the composer by its exact name.
        const say = async (text: string) => {
          await widget.scope.getByRole("textbox", { name: "Message", exact: true }).fill(text);
          await widget.button("Send").click();
        };
        await say("/actions");
        await widget.expectReply(/./);
        await say("/lead");
        const lead = widget.scope.getByRole("form", { name: "Leave your details" });
        await expect(lead).toBeVisible();
        const inputs = lead.locator("input, textarea");
        const n = await inputs.count();
        expect(n).toBe(Math.min(8, text.length));
        for (let i = 0; i < n; i++) await inputs.nth(i).fill(text[i].slice(0, 200));
        await lead.locator("button[type=submit]").click();
        // The thank-you notice follows the submission (waiting for it, not for a time-out).
        await expect(widget.scope.getByText("Thanks! We'll be in touch soon.").last()).toBeVisible();
        await expectClean(page, mode, `config batch ${b}`);
      }
    });
  });
}

test("the hostElement mirror keeps what the host page parsed: <noscript><!-- does not swallow later content", async ({ page }) => {
  const widget = await start(page, "iframe", {});
  await page.evaluate(() => {
    (window as any).instance.on("userDefinedResponse", (ev: any) => {
      ev.hostElement.innerHTML = "<noscript><!--</noscript><p>first</p><p>second <b>bold</b></p>";
    });
  });
  await widget.send("/custom");
  const mirrored = widget.scope.locator(".cq-user-defined").last();
  await expect(mirrored).toContainText("second bold");
  await expect(mirrored.locator("p")).toHaveCount(2);
  await expect(mirrored.locator("noscript")).toHaveCount(0);
  await expectClean(page, "iframe", "noscript mirror");
});
