import { expect, Page } from "@playwright/test";

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
