import { expect, test } from "@playwright/test";
import { createApiKey, hydrated, liveCoupon, login, shot } from "./helpers";

test("an admin creates an API key, an app redeems with it, the dashboard tries, shows and reverses", async ({
  page,
  request,
}) => {
  await login(page);
  const secret = await createApiKey(page, "Shop backend");
  expect(secret).toMatch(/^cpn_[0-9a-f]{64}$/);
  await expect(page.locator('tr[data-key="Shop backend"]')).toContainText("checkout, manage");
  await shot(page, "api-keys");

  // The app: a coupon through the API, a user, a redemption.
  const headers = { Authorization: `Bearer ${secret}` };
  const id = await liveCoupon(request, secret, {
    name: "Shop ten",
    distribution: { type: "static", code: "SHOP10" },
    limits: { per_user: 1 },
  });
  expect(
    (await request.put("/api/v1/users/shopper-1", { headers, data: { properties: { city: "Mumbai" } } })).status(),
  ).toBe(200);
  const cart = { currency: "INR", items: [{ sku: "SHOE-1", quantity: 1, unit_price: 150000, category: "Shoes" }] };
  const redeemed = await request.post("/api/v1/redemptions", {
    headers: { ...headers, "Idempotency-Key": "order-1" },
    data: { user_id: "shopper-1", code: "shop10", cart, order_id: "order-1" },
  });
  expect(redeemed.status()).toBe(201);

  // Try it on the coupon's page: a new user gets the discount, the one who used it is refused.
  await page.goto(`/coupons/${id}`);
  await page.click('a:has-text("Try it with a cart")');
  await expect(page).toHaveURL(/\/try$/);
  await hydrated(page);
  const panel = page.locator("section.try-it");
  await panel.locator('input[name="user_id"]').fill("shopper-2");
  await panel.locator('button:has-text("Check")').click();
  await expect(panel.getByTestId("try-answer")).toContainText("Valid: ₹309.80 off");
  await panel.locator('input[name="user_id"]').fill("shopper-1");
  await panel.locator('button:has-text("Check")').click();
  await expect(panel.getByTestId("try-answer")).toContainText("per_user_limit_reached");
  await shot(page, "try-it");

  // The users page shows the redemption; reversing it gives the use back.
  await page.click('nav a:has-text("Users")');
  await hydrated(page);
  await page.fill('input[name="user_id"]', "shopper-1");
  await page.click('button:has-text("Look up")');
  await expect(page).toHaveURL(/user_id=shopper-1/);
  await hydrated(page);
  const row = page.locator("table.redemptions tbody tr").first();
  await expect(row).toContainText("SHOP10");
  await expect(row.getByRole("link", { name: "Shop ten" })).toBeVisible();
  await expect(page.locator("table.properties")).toContainText("Mumbai");
  await expect(row).toContainText("₹150");
  // Support refunds a third of the order: a third of the discount comes back.
  await row.locator("summary", { hasText: "Refund part" }).click();
  await row.getByLabel(/Amount refunded/).fill("500");
  await row.locator('button:has-text("Give back this part")').click();
  await expect(row.locator("td.num").first()).toContainText("₹100");
  await row.locator('button:has-text("Reverse")').click();
  await row.locator('button:has-text("Yes, reverse")').click();
  await expect(row.locator(".badge")).toHaveText("reversed");
  await shot(page, "user-page");
  const again = await request.post("/api/v1/validate", {
    headers,
    data: { user_id: "shopper-1", code: "SHOP10", cart },
  });
  expect((await again.json()).valid).toBe(true);

  // The reversal is in the audit log, with who did it.
  await page.click('nav a:has-text("Audit log")');
  await expect(page.locator("table.audit")).toContainText("redemption.reverse");
  await expect(page.locator("table.audit")).toContainText("redemption.return");

  // The API reference, rendered from the generated OpenAPI document.
  await page.locator("header nav").getByRole("link", { name: "API", exact: true }).click();
  await expect(page).toHaveURL(/\/api$/);
  await hydrated(page);
  await page.locator('.toc a:has-text("/validate")').click();
  const validate = page.locator("#op-post-validate");
  await expect(validate).toContainText("most important first");
  await validate.locator('a:has-text("RedeemBody")').first().click();
  await expect(page).toHaveURL(/#schema-RedeemBody$/);
  await expect(page.locator("#schema-RedeemBody")).toContainText("coupon_ids");
  await shot(page, "api-reference");

  // Revoking the key shuts the app out at once.
  await page.goto("/api-keys");
  await hydrated(page);
  await page.locator('tr[data-key="Shop backend"] button:has-text("Revoke")').click();
  await page.locator('tr[data-key="Shop backend"] button:has-text("Yes, revoke")').click();
  await expect(page.locator('tr[data-key="Shop backend"] .badge')).toHaveText("revoked");
  const refused = await request.post("/api/v1/validate", { headers, data: { user_id: "x", code: "SHOP10", cart } });
  expect(refused.status()).toBe(401);
});
