// Lighthouse (mobile, its default simulated throttling) on the shop page: plain, with Colloquy's
// async snippet (default load mode: what hosts get), and with deep-chat. Debian's chromium,
// loopback only: Chromium resolves no other name; requests to other hosts are counted (and fail).
//
// usage: node tests/bench/lighthouse.mjs --host http://localhost:18091 --out target/bench/lighthouse.json [--runs 3]
//
// Writes {figures: {id: value}, samples: {id: [..]}, errors: {id: why}}; medians of --runs runs,
// each in a fresh Chromium. Figures, not pass/fail.
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";
import fs from "node:fs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const host = arg("host", "http://localhost:18091");
const out = arg("out", "target/bench/lighthouse.json");
const RUNS = Number(arg("runs", "3"));
const log = (...a) => console.error("   ", ...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const round = (x, d = 0) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

const variants = [
  ["plain", `${host}/shop/`],
  ["colloquy", `${host}/shop/?with=colloquy`],
  ["deepchat", `${host}/shop/?with=deepchat`],
];
const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--no-first-run",
  // Nothing leaves the machine: any name but the loopback ones fails to resolve (deep-chat asks
  // for a web font from a CDN, for one).
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];
const loopback = (u) => {
  try {
    const { protocol, hostname } = new URL(u);
    if (!protocol.startsWith("http")) return true;
    return hostname === "localhost" || hostname === "[::1]" || hostname.startsWith("127.");
  } catch {
    return true;
  }
};

const result = { figures: {}, samples: {}, errors: {}, notes: {} };
const samples = Object.fromEntries(variants.map(([v]) => [v, []]));
let outside = 0;
for (let r = 0; r < RUNS; r++) {
  for (const [v, url] of variants) {
    const chrome = await chromeLauncher.launch({
      chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
      chromeFlags: FLAGS,
    });
    try {
      const rr = await lighthouse(url, { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance"] });
      const lhr = rr.lhr;
      if (lhr.runtimeError) throw new Error(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
      const a = lhr.audits;
      const requests = (a["network-requests"]?.details?.items || []).map((i) => i.url);
      const away = requests.filter((u) => !loopback(u));
      outside += away.length;
      if (away.length) log(`${v}: requests to other hosts (not resolved, nothing left the machine): ${away.join(", ")}`);
      const s = {
        score: Math.round((lhr.categories.performance.score ?? NaN) * 100),
        tbt: a["total-blocking-time"].numericValue,
        mainThread: a["mainthread-work-breakdown"].numericValue,
        tti: a["interactive"].numericValue,
        requests: requests.length,
        warnings: lhr.runWarnings || [],
      };
      samples[v].push(s);
      log(`${v} run ${r + 1}: perf ${s.score}, TBT ${round(s.tbt)} ms, main thread ${round(s.mainThread)} ms, TTI ${round(s.tti)} ms, ${s.requests} requests`);
    } catch (e) {
      result.errors[`lighthouse.${v}`] = String(e.message || e).split("\n")[0];
      log(`${v}: NOT MEASURED: ${result.errors[`lighthouse.${v}`]}`);
    } finally {
      await chrome.kill();
    }
  }
}
for (const [v] of variants) {
  const xs = samples[v];
  if (!xs.length) continue;
  if (xs.length === RUNS) delete result.errors[`lighthouse.${v}`];
  for (const k of ["score", "tbt", "mainThread", "tti"]) result.figures[`lighthouse.${v}.${k}`] = round(median(xs.map((x) => x[k])));
  result.samples[`lighthouse.${v}`] = xs.map((x) => ({ ...x, tbt: round(x.tbt), mainThread: round(x.mainThread), tti: round(x.tti) }));
}
result.figures["lighthouse.outsideRequests"] = outside;
fs.mkdirSync(out.replace(/[^/]*$/, "") || ".", { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 1));
console.error(`  Lighthouse figures written to ${out}`);
