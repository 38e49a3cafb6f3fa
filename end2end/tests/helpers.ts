import { APIRequestContext, expect, Page } from "@playwright/test";

export const ADMIN = { email: "admin@example.com", password: "admin-password-1" };

/** Waits until the wasm has hydrated the page, so typing and clicks run client-side code. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toBeAttached({ timeout: 30_000 });
}

export async function login(page: Page, email = ADMIN.email, password = ADMIN.password) {
  await page.goto("/login");
  await hydrated(page);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button:has-text("Log in")');
  await expect(page).toHaveURL(/\/coupons$/);
  await hydrated(page);
}

/** The input inside the builder field for `path` (the paths the parser reports errors at). */
export function field(page: Page, path: string, selector = "input, select, textarea") {
  return page.locator(`[data-field="${path}"]`).first().locator(selector).first();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/** Creates an API key on the API keys page (checkout and manage ticked) and returns its secret. */
export async function createApiKey(page: Page, name: string) {
  await page.click('nav a:has-text("API keys")');
  await hydrated(page);
  await page.fill('input[name="name"]', name);
  await page.check('input[name="checkout"]');
  await page.check('input[name="manage"]');
  await page.click('button:has-text("Create key")');
  return (await page.locator(".secret-value").textContent())!.trim();
}

/** A live coupon made through the API: the defaults of a plain 10% coupon, with `overrides`. */
export async function liveCoupon(request: APIRequestContext, secret: string, overrides: Record<string, unknown>) {
  const headers = { Authorization: `Bearer ${secret}` };
  const created = await request.post("/api/v1/coupons", {
    headers,
    data: {
      currency: "INR",
      time_zone: "Asia/Kolkata",
      reward: { type: "percent_off", percent: 10 },
      applies_to: { type: "order" },
      audience: "all_users",
      activation: { type: "time" },
      expiry: { type: "never" },
      visibility: "visible",
      stacking: "exclusive",
      ...overrides,
    },
  });
  expect(created.status()).toBe(201);
  const id = (await created.json()).id as number;
  expect((await request.patch(`/api/v1/coupons/${id}`, { headers, data: { status: "active" } })).status()).toBe(200);
  return id;
}
