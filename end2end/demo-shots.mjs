// Screenshots of the demo shop as a newcomer sees it: starts the release build with `--demo` on
// a fresh SQLite file, logs in, and saves the analytics, a coupon's page and the lists at 1440
// and 390 px. Usage: node end2end/demo-shots.mjs OUT_DIR (from the repo root, after
// `cargo leptos build --release`; COUPONRY_BIN picks a binary).
import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const out = process.argv[2] ?? "demo-shots";
const port = 3195;
const base = `http://127.0.0.1:${port}`;
fs.mkdirSync(out, { recursive: true });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "couponry-demo-"));
const server = spawn(process.env.COUPONRY_BIN ?? "target/release/couponry", ["--demo"], {
  env: {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/demo.db?mode=rwc`,
    COUPONRY_ADMIN_EMAIL: "admin@example.com",
    COUPONRY_ADMIN_PASSWORD: "admin-password-1",
    LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: "target/site",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/login`)).ok) break;
    } catch {}
    if (i > 1200) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 500));
  }
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
  for (const width of [1440, 390]) {
    const page = await browser.newPage({ viewport: { width, height: width > 1000 ? 900 : 844 } });
    await page.goto(`${base}/login`);
    await page.fill('input[name="email"]', "admin@example.com");
    await page.fill('input[name="password"]', "admin-password-1");
    await Promise.all([page.waitForURL(/coupons/), page.click('button[type="submit"]')]);
    for (const [name, url] of [
      ["analytics", "/analytics"],
      ["coupons", "/coupons"],
      ["coupon-1", "/coupons/1"],
      ["coupon-1-analytics", "/coupons/1/analytics"],
      ["campaigns", "/campaigns"],
      ["codes", "/codes"],
    ]) {
      await page.goto(`${base}${url}`);
      await page.waitForLoadState("networkidle");
      await page.waitForTimeout(800);
      await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: true });
    }
    await page.close();
  }
  await browser.close();
} finally {
  server.kill();
}
