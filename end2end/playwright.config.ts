import { defineConfig } from "@playwright/test";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";

// One server for the whole run, on a fresh SQLite file, started from the binary that
// `cargo leptos build --release` made (the test script builds it first; COUPONRY_BIN picks another).
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "couponry-e2e-"));
export const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  // A debug binary must come from `cargo leptos build` (run after `cargo test`, which rebuilds
  // target/debug/couponry with other settings that do not hydrate against the wasm).
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    // The desktop the dashboard is laid out for (below 1320 px its navigation folds into a menu).
    viewport: { width: 1440, height: 900 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: process.env.COUPONRY_BIN ?? "target/release/couponry",
    cwd: "..",
    url: `${baseURL}/login`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      DATABASE_URL: `sqlite://${dataDir}/e2e.db?mode=rwc`,
      COUPONRY_ADMIN_EMAIL: "admin@example.com",
      COUPONRY_ADMIN_PASSWORD: "admin-password-1",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      RUST_LOG: "warn",
    },
  },
});
