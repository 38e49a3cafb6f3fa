import { expect, Page, test } from "@playwright/test";
import { hydrated, login, shot } from "./helpers";

async function addAccount(page: Page, name: string, email: string, role: string) {
  const form = page.locator("section.card", { hasText: "Add an account" });
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(`${role}-password`);
  await form.locator('select[name="role"]').selectOption(role);
  await form.locator('button:has-text("Add account")').click();
  await expect(page.locator(`tr[data-email="${email}"]`)).toBeVisible();
}

async function logout(page: Page) {
  await page.click('button:has-text("Log out")');
  await expect(page).toHaveURL(/\/login/);
}

test("each role is denied what it may not do, in the page and on the server", async ({ page }) => {
  await login(page);
  await page.click('nav a:has-text("Accounts")');
  await hydrated(page);
  await addAccount(page, "Ana Lyst", "ana@example.com", "analyst");
  await addAccount(page, "Mark Eter", "mark@example.com", "marketer");
  await shot(page, "accounts");
  await logout(page);

  // Analysts read coupons; they cannot build them, manage accounts or read the audit log.
  await login(page, "ana@example.com", "analyst-password");
  await expect(page.locator(".role-badge")).toHaveText("analyst");
  await expect(page.locator('a:has-text("New coupon")')).toHaveCount(0);
  await expect(page.locator('nav a:has-text("Accounts")')).toHaveCount(0);
  await expect(page.locator('nav a:has-text("Audit log")')).toHaveCount(0);
  for (const path of ["/coupons/new", "/accounts", "/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("alert").locator("h1")).toHaveText("Not allowed");
  }
  await shot(page, "analyst-denied");
  await page.goto("/coupons");
  await logout(page);

  // Marketers build coupons but do not manage accounts.
  await login(page, "mark@example.com", "marketer-password");
  await expect(page.locator('a:has-text("New coupon")')).toBeVisible();
  await expect(page.locator('nav a:has-text("Accounts")')).toHaveCount(0);
  await expect(page.locator('nav a:has-text("Audit log")')).toHaveCount(0);
  for (const path of ["/accounts", "/audit"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
  }
  const builder = await page.goto("/coupons/new");
  expect(builder?.status()).toBe(200);
});
