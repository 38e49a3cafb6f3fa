// What a browser downloads and how long until a page answers clicks, measured in Debian's
// Chromium with its network emulation. Starts the release build on a fresh SQLite file, logs in,
// then loads each page cold (empty cache, cookies kept) and again warm, under two profiles.
// Prints a Markdown table for BENCHMARKS.md. Two servings of the same build, measured in one run:
// as built (precompressed brotli/gzip files beside each asset) and with those files removed (how
// the site was served before, every byte uncompressed). Usage: node end2end/weight.mjs (from the
// repo root, after `cargo leptos build --release --precompress`; COUPONRY_BIN picks a binary).
import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const port = Number(process.env.WEIGHT_PORT ?? 3190);
const base = `http://127.0.0.1:${port}`;
const runs = Number(process.env.WEIGHT_RUNS ?? 3);
const PROFILES = [
  // A fixed line: 10 Mbit/s down, 5 up, 40 ms round trip, the machine's own CPU.
  { name: "10 Mbps", latency: 40, down: 10e6 / 8, up: 5e6 / 8, cpu: 1 },
  // A slow phone: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip, CPU 4 times slower.
  { name: "slow phone", latency: 150, down: 1.6e6 / 8, up: 750e3 / 8, cpu: 4 },
];
const PAGES = ["/login", "/coupons", "/coupons/new", "/analytics"];

/** A copy of the site without its precompressed files. */
function uncompressedSite() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "couponry-site-"));
  fs.cpSync("target/site", dir, { recursive: true, filter: (src) => !src.endsWith(".br") && !src.endsWith(".gz") });
  return dir;
}

function startServer(siteRoot) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "couponry-weight-"));
  const server = spawn(process.env.COUPONRY_BIN ?? "target/release/couponry", [], {
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${dir}/weight.db?mode=rwc`,
      COUPONRY_ADMIN_EMAIL: "admin@example.com",
      COUPONRY_ADMIN_PASSWORD: "admin-password-1",
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return server;
}

async function waitForServer() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server did not start");
}

/** Loads `url` in `page` under `profile`; returns bytes on the wire and ms to hydrated. */
async function load(page, cdp, url, profile) {
  const sizes = new Map();
  const types = new Map();
  const onResponse = (e) => types.set(e.requestId, e.response.url);
  const onFinished = (e) => sizes.set(e.requestId, e.encodedDataLength);
  cdp.on("Network.responseReceived", onResponse);
  cdp.on("Network.loadingFinished", onFinished);
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: profile.latency,
    downloadThroughput: profile.down,
    uploadThroughput: profile.up,
  });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: profile.cpu });
  const started = Date.now();
  if (process.env.WEIGHT_DEBUG) {
    page.on("pageerror", (e) => console.error(url, "pageerror:", e.message.slice(0, 300)));
    page.on("console", (m) => m.type() === "error" && console.error(url, "console:", m.text().slice(0, 300)));
    console.error("loading", url, profile.name);
  }
  await page.goto(base + url, { waitUntil: "commit" });
  await page.waitForSelector("body[data-hydrated]", { state: "attached", timeout: 180_000 });
  const tti = Date.now() - started;
  await page.waitForLoadState("networkidle");
  cdp.off("Network.responseReceived", onResponse);
  cdp.off("Network.loadingFinished", onFinished);
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  let total = 0;
  let wasm = 0;
  let charts = 0;
  for (const [id, bytes] of sizes) {
    total += bytes;
    const address = types.get(id) ?? "";
    if (address.includes(".wasm")) wasm += bytes;
    if (address.includes("echarts")) charts += bytes;
  }
  return { tti, total, wasm, charts };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (b) => `${Math.round(b / 1024).toLocaleString("en")} KB`;

// WEIGHT_SERVINGS=precompressed measures only the site as built.
const SERVINGS = [
  { name: "precompressed", root: () => "target/site" },
  { name: "uncompressed (before)", root: uncompressedSite },
].filter((s) => !process.env.WEIGHT_SERVINGS || process.env.WEIGHT_SERVINGS.split(",").includes(s.name.split(" ")[0]));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});
const rows = [];
for (const serving of SERVINGS) {
  const server = startServer(serving.root());
  try {
    await waitForServer();
    for (const profile of PROFILES) {
      for (const url of PAGES) {
        const cold = [];
        const warm = [];
        for (let i = 0; i < runs; i++) {
          const context = await browser.newContext();
          const page = await context.newPage();
          const cdp = await context.newCDPSession(page);
          await cdp.send("Network.enable");
          if (url !== "/login") {
            await page.goto(`${base}/login`);
            await page.waitForSelector("body[data-hydrated]", { state: "attached" });
            await page.fill('input[name="email"]', "admin@example.com");
            await page.fill('input[name="password"]', "admin-password-1");
            await page.click('button:has-text("Log in")');
            await page.waitForURL(/\/coupons$/);
            await page.goto("about:blank");
          }
          await cdp.send("Network.clearBrowserCache");
          cold.push(await load(page, cdp, url, profile));
          await page.goto("about:blank");
          warm.push(await load(page, cdp, url, profile));
          await context.close();
        }
        rows.push({
          serving: serving.name,
          profile: profile.name,
          url,
          tti: median(cold.map((r) => r.tti)),
          total: median(cold.map((r) => r.total)),
          wasm: median(cold.map((r) => r.wasm)),
          charts: median(cold.map((r) => r.charts)),
          warmTti: median(warm.map((r) => r.tti)),
          warmTotal: median(warm.map((r) => r.total)),
        });
      }
    }
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
}
await browser.close();

console.log(`\n${runs} loads per row, medians; "hydrated" is when the page answers clicks.\n`);
console.log("| served | profile | page | cold: on the wire | of it wasm | of it ECharts | cold: hydrated | warm: on the wire | warm: hydrated |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.serving} | ${r.profile} | \`${r.url}\` | ${kb(r.total)} | ${kb(r.wasm)} | ${kb(r.charts)} | ${(r.tti / 1000).toFixed(2)} s | ${kb(r.warmTotal)} | ${(r.warmTti / 1000).toFixed(2)} s |`,
  );
}

// What each file weighs on disk and precompressed (Chromium asks for brotli over HTTPS only,
// so the loads above show gzip; a TLS proxy in front gets the .br files).
console.log("\n| file | as built | gzip | brotli |");
console.log("|---|---|---|---|");
const size = (file) => (fs.existsSync(file) ? kb(fs.statSync(file).size) : "—");
for (const dir of ["target/site/pkg", "target/site/vendor"]) {
  for (const name of fs.readdirSync(dir).filter((n) => !n.endsWith(".gz") && !n.endsWith(".br"))) {
    const file = path.join(dir, name);
    console.log(`| \`${file.replace("target/site", "")}\` | ${size(file)} | ${size(file + ".gz")} | ${size(file + ".br")} |`);
  }
}
