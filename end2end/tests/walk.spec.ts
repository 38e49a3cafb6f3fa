// Every page, for every role, at a desktop and a phone width, over what the other journeys made
// (files run in name order on one server, so this one finds their coupons, segments, campaigns
// and accounts): axe finds no critical or serious violation, nothing is wider than the screen,
// and each role sees only the controls it may use. Screenshots land in screenshots/walk/.
import AxeBuilder from "@axe-core/playwright";
import { Browser, expect, Page, test } from "@playwright/test";
import { ADMIN, hydrated, login } from "./helpers";

const ROLES = [
  { role: "admin", email: ADMIN.email, password: ADMIN.password },
  { role: "marketer", email: "mark@example.com", password: "marketer-password" },
  { role: "analyst", email: "ana@example.com", password: "analyst-password" },
];
const SIZES = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
];

/** Controls a role must not be shown, by page; each also answers 403 on the server. */
const HIDDEN: Record<string, Record<string, string[]>> = {
  analyst: {
    "/coupons": ['a:has-text("New coupon")'],
    coupon: ['button:has-text("Pause")', 'button:has-text("Archive")', 'a:has-text("Edit")', 'a:has-text("Duplicate")'],
    "/codes": ['a:has-text("Export CSV")', 'button:has-text("Void unused")'],
    "/segments": ['a:has-text("New segment")'],
    segment: ['a:has-text("Launch a campaign")', 'button:has-text("Save segment")', 'button:has-text("+ Add group")'],
    "/campaigns": ['a:has-text("New campaign")'],
    "/api-keys": ['button:has-text("Create key")'],
    "/accounts": ['button:has-text("Add account")'],
  },
  marketer: {
    "/api-keys": ['button:has-text("Create key")'],
    "/accounts": ['button:has-text("Add account")'],
  },
};

let paths: { path: string; kind: string }[] = [];

/** The ids of a coupon with codes, a segment and a campaign the other journeys made. */
async function discover(browser: Browser) {
  const page = await browser.newPage();
  await login(page);
  const firstId = async (list: string, link: RegExp) => {
    await page.goto(list);
    const href = await page.locator("main a").filter({ hasText: link }).first().getAttribute("href");
    return href!.split("/").pop();
  };
  const coupon = await firstId("/coupons?q=Mumbai", /Mumbai/);
  const segment = await firstId("/segments", /Thane/);
  await page.goto("/campaigns");
  const campaign = (await page.locator('main a[href^="/campaigns/"]:not([href$="/new"])').first().getAttribute("href"))!
    .split("/")
    .pop();
  await page.close();
  paths = [
    { path: "/coupons", kind: "/coupons" },
    { path: "/coupons/new", kind: "builder" },
    { path: `/coupons/${coupon}`, kind: "coupon" },
    { path: `/coupons/${coupon}/edit`, kind: "builder" },
    { path: `/coupons/${coupon}/try`, kind: "try" },
    { path: `/coupons/${coupon}/analytics`, kind: "analytics" },
    { path: `/coupons/${coupon}/codes`, kind: "codes" },
    { path: `/coupons/${coupon}/codes/upload`, kind: "upload" },
    { path: "/analytics", kind: "analytics" },
    { path: "/codes", kind: "/codes" },
    { path: "/segments", kind: "/segments" },
    { path: "/segments/new", kind: "segment-new" },
    { path: `/segments/${segment}`, kind: "segment" },
    { path: "/campaigns", kind: "/campaigns" },
    { path: "/campaigns/new", kind: "campaign-new" },
    { path: `/campaigns/${campaign}`, kind: "campaign" },
    { path: "/users", kind: "users" },
    { path: "/users?user_id=shopper0", kind: "user" },
    { path: "/accounts", kind: "/accounts" },
    { path: "/audit", kind: "audit" },
    { path: "/api-keys", kind: "/api-keys" },
    { path: "/api", kind: "api" },
    { path: "/no-such-page", kind: "missing" },
  ];
}

test.beforeAll(async ({ browser }) => {
  await discover(browser);
});

/** The serious and critical axe violations on the page as it is, one line each. */
async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 4).join(", ")}`);
}

/** How many CSS pixels the page is wider than the viewport. */
async function overflow(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

function slug(path: string) {
  return path.replace(/^\//, "").replace(/[^a-z0-9]+/gi, "-") || "root";
}

for (const size of SIZES) {
  test(`logged out at ${size.width} px: the login page passes axe and fits`, async ({ page }) => {
    await page.setViewportSize(size);
    await page.goto("/login");
    await hydrated(page);
    expect(await axeProblems(page)).toEqual([]);
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `screenshots/walk/${size.name}-login.png`, fullPage: true });
  });

  for (const who of ROLES) {
    test(`${who.role} at ${size.width} px: every page passes axe, fits, and shows only what the role may do`, async ({
      page,
    }) => {
      test.setTimeout(240_000);
      await page.setViewportSize(size);
      await login(page, who.email, who.password);
      const problems: string[] = [];
      for (const { path, kind } of paths) {
        await page.goto(path);
        await hydrated(page);
        await expect(page.locator("h1").first()).toBeVisible();
        await expect(page).toHaveTitle(/ · Couponry$/);
        for (const line of await axeProblems(page)) problems.push(`${path}: ${line}`);
        const wider = await overflow(page);
        if (wider > 0) problems.push(`${path}: ${wider} px wider than the screen`);
        for (const selector of HIDDEN[who.role]?.[kind] ?? []) {
          const shown = page.locator(`main ${selector}`).filter({ visible: true });
          if ((await shown.count()) > 0) problems.push(`${path}: shows ${selector}`);
        }
        // The API reference is a very long page: its first screen is enough to look at.
        await page.screenshot({ path: `screenshots/walk/${who.role}-${size.name}-${slug(path)}.png`, fullPage: kind !== "api" });
      }
      expect(problems).toEqual([]);
    });
  }
}

test("on a phone the menu folds, opens, leads on, folds again, and focus lands on the new page", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page);
  const toggle = page.getByRole("button", { name: "Menu" });
  const segments = page.locator("header nav").getByRole("link", { name: "Segments" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(segments).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  await page.screenshot({ path: "screenshots/walk/phone-menu-open.png" });
  await segments.click();
  await expect(page).toHaveURL(/\/segments$/);
  await expect(segments).toBeHidden();
  await expect(page.locator("h1")).toHaveText("Segments");
  await expect(page.locator("main")).toBeFocused();
});

test("on a phone the use-case templates take one sideways row and the form starts on the first screen", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page);
  await page.goto("/coupons/new");
  await hydrated(page);
  const list = page.locator(".template-list");
  expect((await list.boundingBox())!.height).toBeLessThan(160);
  expect(await list.evaluate((l) => l.scrollWidth > l.clientWidth)).toBe(true);
  await expect(page.locator('[data-field="name"] input')).toBeInViewport();
});

test("the keyboard's first stop skips to the page", async ({ page }) => {
  await login(page);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await skip.press("Enter");
  await expect(page).toHaveURL(/#main$/);
});

test("analysts read a segment without a way to change it, and file routes say why they are refused", async ({
  page,
}) => {
  await login(page, "ana@example.com", "analyst-password");
  const segment = paths.find((p) => p.kind === "segment")!.path;
  await page.goto(segment);
  await hydrated(page);
  await expect(page.locator('[data-field="name"] input')).toBeDisabled();
  await expect(page.locator(".rule-group select").first()).toBeDisabled();
  const file = await page.request.get("/batches/1/codes.csv");
  expect(file.status()).toBe(403);
  expect((await file.json()).error.message).toBe("your role does not allow this");
});
