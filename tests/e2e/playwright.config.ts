import { defineConfig, devices } from "@playwright/test";
import { resolve } from "node:path";

// Two origins, like production: the widget (its own server, serving the release build) and a
// host site that embeds it through embed.js. `cargo xtask test` builds both before running this.
export const WIDGET = "http://127.0.0.1:18080";
export const SITE = "http://localhost:18081";

export const SERVER = process.env.COLLOQUY_SERVER ?? resolve(__dirname, "../../target/debug/colloquy-server");
const server = SERVER;
// The agent console's server (console.spec.ts): queue mode, agent tokens signed with this secret.
export const CONSOLE_API = "http://127.0.0.1:18086";
export const CONSOLE_SECRET = "console-e2e-secret";
// The host site, and the widget page itself (iframe mode calls the API from there).
const ORIGINS = "http://localhost:18081,http://127.0.0.1:18080";

export default defineConfig({
  testDir: ".",
  outputDir: "../../target/playwright/results",
  snapshotPathTemplate: "{testDir}/__screenshots__/{testFilePath}/{arg}{ext}",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 2 : 0,
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 10_000, toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: "disabled" } },
  reporter: [["list"], ["html", { outputFolder: "../../target/playwright/report", open: "never" }]],
  use: {
    baseURL: SITE,
    timezoneId: "UTC",
    locale: "en-US",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--font-render-hinting=none",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } }],
  webServer: [
    {
      command: `${server} --dist ../../dist --addr 127.0.0.1:18080`,
      url: `${WIDGET}/embed.js`,
      // The widget page's CSP connect-src: the JWT server, the crash test's server, the live
      // channel's agent server (live.spec.ts), the queue server (handoff.spec.ts) and the agent
      // console's queue-mode server (console.spec.ts).
      // The scripted human answers `/handoff` (agent.spec.ts); a store of its own per run.
      env: {
        COLLOQUY_ALLOWED_ORIGINS: ORIGINS,
        COLLOQUY_AGENT_ORIGINS:
          "http://127.0.0.1:18082,http://127.0.0.1:18083,http://127.0.0.1:18084,http://127.0.0.1:18085,http://127.0.0.1:18086,http://127.0.0.1:18090",
        COLLOQUY_HANDOFF: "scripted",
        COLLOQUY_DATABASE: "sqlite::memory:",
      },
      reuseExistingServer: !process.env.CI,
      stdout: "pipe",
    },
    {
      // The agent API with JWTs (and development tokens), for the auth tests.
      command: `${server} --dist ../../dist --addr 127.0.0.1:18082`,
      url: "http://127.0.0.1:18082/api/health",
      env: {
        COLLOQUY_ALLOWED_ORIGINS: ORIGINS,
        COLLOQUY_JWT_SECRET: "e2e-secret",
        COLLOQUY_DEV_TOKENS: "1",
        COLLOQUY_HANDOFF: "scripted",
        COLLOQUY_DATABASE: "sqlite::memory:",
      },
      reuseExistingServer: !process.env.CI,
      stdout: "pipe",
    },
    {
      // The agent console and the hand-off queue (console.spec.ts): a store of its own per run.
      command: `${server} --dist ../../dist --addr 127.0.0.1:18086 --handoff queue --database sqlite::memory: --queue-timeout-s 0`,
      url: `${CONSOLE_API}/api/health`,
      env: { COLLOQUY_ALLOWED_ORIGINS: ORIGINS, COLLOQUY_JWT_SECRET: CONSOLE_SECRET },
      reuseExistingServer: !process.env.CI,
      stdout: "pipe",
    },
    {
      command: `${server} --dist site --addr 127.0.0.1:18081 --database sqlite::memory:`,
      url: "http://127.0.0.1:18081/",
      reuseExistingServer: !process.env.CI,
      stdout: "pipe",
    },
  ],
});
