import { expect, test } from "@playwright/test";
import { hydrated, login, shot } from "./helpers";

test("an analyst reads coupons but cannot build them or manage accounts", async ({ page }) => {
  await login(page);
  await page.click('nav a:has-text("Accounts")');
  await hydrated(page);
  const form = page.locator("section.card", { hasText: "Add an account" });
  await form.locator('input[name="name"]').fill("Ana Lyst");
  await form.locator('input[name="email"]').fill("ana@example.com");
  await form.locator('input[name="password"]').fill("analyst-password");
  await form.locator('select[name="role"]').selectOption("analyst");
  await form.locator('button:has-text("Add account")').click();
  await expect(page.locator('tr[data-email="ana@example.com"]')).toBeVisible();
  await shot(page, "accounts");
  await page.click('button:has-text("Log out")');
  await expect(page).toHaveURL(/\/login/);

  await login(page, "ana@example.com", "analyst-password");
  await expect(page.locator(".role-badge")).toHaveText("analyst");
  await expect(page.locator('a:has-text("New coupon")')).toHaveCount(0);
  await expect(page.locator('nav a:has-text("Accounts")')).toHaveCount(0);
  await expect(page.locator('nav a:has-text("Audit log")')).toHaveCount(0);
  const response = await page.goto("/coupons/new");
  expect(response?.status()).toBe(403);
  await expect(page.locator("h1")).toHaveText("Not allowed");
  const accounts = await page.goto("/accounts");
  expect(accounts?.status()).toBe(403);
  await shot(page, "analyst-denied");
});
