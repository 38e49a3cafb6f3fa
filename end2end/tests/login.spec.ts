import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login, shot } from "./helpers";

test("a wrong password is refused next to the field; the right one logs in and out", async ({ page }) => {
  await page.goto("/coupons");
  await expect(page).toHaveURL(/\/login\?next=%2Fcoupons|\/login\?next=\/coupons/);
  await hydrated(page);
  await page.fill('input[name="email"]', ADMIN.email);
  await page.fill('input[name="password"]', "not-the-password");
  await page.click('button:has-text("Log in")');
  await expect(page.locator('[data-field="password"] .field-error')).toHaveText(/wrong email or password/);
  await shot(page, "login-error");

  await login(page);
  await expect(page.locator(".who-name")).toBeVisible();
  await expect(page.locator(".role-badge")).toHaveText("admin");
  await shot(page, "coupons-empty");

  await page.click('button:has-text("Log out")');
  await expect(page).toHaveURL(/\/login/);
  await page.goto("/coupons");
  await expect(page).toHaveURL(/\/login/);
});
