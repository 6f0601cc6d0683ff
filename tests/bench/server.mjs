// Bench servers (`cargo xtask bench`), loopback only:
//  - the host origin (http://localhost:HOST_PORT): the pages in this folder, with `__WIDGET__`
//    (the widget origin) and `__AGENT__` (the agent API URL) filled in;
//  - an agent server (http://127.0.0.1:AGENT_PORT/api) written only from docs/agent-protocol.md,
//    not colloquy-server: it streams replies of a size and pace the message asks for.
//
// usage: node tests/bench/server.mjs --host-port 18091 --agent-port 18092 --widget http://127.0.0.1:18090
//
// Agent messages understood: `stream N fast` (N deltas as fast as the socket takes them) and
// `stream N R` (N deltas paced at R per second). Anything else gets a one-line echo.
// `GET /bench/last` (agent port) answers the timing of the last reply as the server saw it.
// The process stops on SIGTERM/SIGINT, or by itself after --max-seconds (default 3600).
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { replyText, replyDeltas } from "./reply.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const hostPort = Number(arg("host-port", "18091"));
const agentPort = Number(arg("agent-port", "18092"));
const widget = arg("widget", "http://127.0.0.1:18090");
const agentUrl = `http://127.0.0.1:${agentPort}/api`;
const maxSeconds = Number(arg("max-seconds", "3600"));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
};

// ---- host pages -------------------------------------------------------------------------------
const hostServer = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  let rel = decodeURIComponent(url.pathname);
  if (rel.endsWith("/")) rel += "index.html";
  const file = path.join(here, path.normalize(rel).replace(/^(\.\.[/\\])+/, ""));
  if (!file.startsWith(here) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  const ext = path.extname(file);
  let body = fs.readFileSync(file);
  if (ext === ".html") {
    body = body.toString("utf8");
    // The shop page: `?with=colloquy|deepchat` puts that widget's snippet in (server-side, so the
    // plain page carries no extra script).
    const w = url.searchParams.get("with");
    if (w && /^[a-z]+$/.test(w) && body.includes("<!--WIDGET-->")) {
      const snippet = path.join(path.dirname(file), `snippet-${w}.html`);
      if (!fs.existsSync(snippet)) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`no snippet ${w}`);
        return;
      }
      body = body.replace("<!--WIDGET-->", fs.readFileSync(snippet, "utf8"));
    }
    body = body.replaceAll("__WIDGET__", widget).replaceAll("__AGENT__", agentUrl);
  }
  res.writeHead(200, { "content-type": TYPES[ext] || "application/octet-stream", "cache-control": "no-store" });
  res.end(body);
});

// ---- agent server (docs/agent-protocol.md) ----------------------------------------------------
let last = null; // {deltas, rate, firstDeltaAt, lastDeltaAt, doneAt} in ms (performance.now of this process)
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type, authorization, last-event-id",
  "access-control-max-age": "600",
};

function json(res, status, value) {
  res.writeHead(status, { ...CORS, "content-type": "application/json" }).end(JSON.stringify(value));
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) reject(Object.assign(new Error("too large"), { status: 413 }));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const event = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

// Writes `text`, waiting for the socket to drain when its buffer is full.
function write(res, text) {
  return res.write(text) ? Promise.resolve() : new Promise((r) => res.once("drain", r));
}

let replies = 0;
async function reply(res, conversationId, text) {
  res.writeHead(200, { ...CORS, "content-type": "text/event-stream", "cache-control": "no-cache" });
  await write(res, event("accepted", {}));
  const m = /^stream (\d+) (fast|\d+)$/.exec(text.trim());
  const messageId = `r${++replies}`;
  const n = m ? Number(m[1]) : 1;
  const rate = m && m[2] !== "fast" ? Number(m[2]) : 0;
  const deltas = m ? replyDeltas(n) : [`You said: ${text}`];
  const full = m ? replyText(n) : deltas[0];
  const stats = { deltas: n, rate, firstDeltaAt: 0, lastDeltaAt: 0, doneAt: 0 };
  let aborted = false;
  res.on("close", () => (aborted = true));
  const t0 = performance.now();
  stats.firstDeltaAt = t0;
  if (!rate) {
    // As fast as the socket takes it: events in batches of 100 per write.
    for (let i = 0; i < deltas.length && !aborted; i += 100) {
      let chunk = "";
      for (let j = i; j < Math.min(i + 100, deltas.length); j++) chunk += event("delta", { messageId, text: deltas[j] });
      await write(res, chunk);
    }
  } else {
    // Paced: every millisecond, whatever is due by now.
    let sent = 0;
    while (sent < deltas.length && !aborted) {
      const due = Math.min(deltas.length, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      let chunk = "";
      for (; sent < due; sent++) chunk += event("delta", { messageId, text: deltas[sent] });
      if (chunk) await write(res, chunk);
      if (sent < deltas.length) await new Promise((r) => setTimeout(r, 1));
    }
  }
  stats.lastDeltaAt = performance.now();
  const message = {
    id: messageId,
    threadId: conversationId,
    content: [{ id: `${messageId}-0`, type: "text", text: full }],
    timestamp: Date.now(),
    from: "bot",
    agentName: "Bench",
  };
  if (!aborted) {
    await write(res, event("message", message));
    await write(res, event("done", {}));
  }
  stats.doneAt = performance.now();
  stats.aborted = aborted;
  last = stats;
  res.end();
}

const agentServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  try {
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS).end();
    } else if (req.method === "GET" && url.pathname === "/bench/last") {
      json(res, 200, last && {
        deltas: last.deltas,
        rate: last.rate,
        streamMs: last.lastDeltaAt - last.firstDeltaAt,
        totalMs: last.doneAt - last.firstDeltaAt,
        aborted: last.aborted,
      });
    } else if (req.method === "POST" && url.pathname === "/api/conversations") {
      const body = JSON.parse((await readBody(req)) || "{}");
      json(res, 201, { conversationId: body.conversationId });
    } else if (req.method === "POST" && /^\/api\/conversations\/[A-Za-z0-9_-]{1,100}\/messages$/.test(url.pathname)) {
      const body = JSON.parse(await readBody(req));
      if (typeof body.text !== "string" || typeof body.id !== "string") {
        json(res, 400, { code: "BAD_REQUEST", message: "id and text are required" });
        return;
      }
      await reply(res, url.pathname.split("/")[3], body.text);
    } else if (req.method === "GET" && /^\/api\/conversations\/[A-Za-z0-9_-]{1,100}\/events$/.test(url.pathname)) {
      // Live channel: nothing happens outside reply streams here; keep it open and quiet.
      res.writeHead(200, { ...CORS, "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.write(": open\n\n");
    } else {
      json(res, 404, { code: "NOT_FOUND", message: `no route ${req.method} ${url.pathname}` });
    }
  } catch (e) {
    if (!res.headersSent) json(res, e.status || 400, { code: "BAD_REQUEST", message: String(e.message || e) });
    else res.end();
  }
});

hostServer.listen(hostPort, "127.0.0.1");
agentServer.listen(agentPort, "127.0.0.1");
await Promise.all([
  new Promise((r) => hostServer.once("listening", r)),
  new Promise((r) => agentServer.once("listening", r)),
]);
console.log(`bench servers: host http://localhost:${hostPort}, agent ${agentUrl}, widget ${widget}`);
const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
setTimeout(stop, maxSeconds * 1000).unref();
