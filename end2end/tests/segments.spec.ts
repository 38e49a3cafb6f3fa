// Runs last (files run in name order on one server): the coupons it makes would show in the
// other journeys' lists.
import { expect, test } from "@playwright/test";
import { createApiKey, hydrated, liveCoupon, login, shot } from "./helpers";

test("a marketer builds a segment, sees who matches, launches a campaign, and the user's tray has the coupon", async ({
  page,
  request,
}) => {
  await login(page);
  // An app's side of things, through the API: a key, a campaign coupon with codes, users.
  const secret = await createApiKey(page, "Audience journey");
  const headers = { Authorization: `Bearer ${secret}` };
  const coupon = await liveCoupon(request, secret, {
    name: "Mumbai monsoon 20%",
    reward: { type: "percent_off", percent: 20 },
    audience: "campaign",
    distribution: { type: "unique" },
    expiry: { type: "relative", duration: { value: 14, unit: "days" }, relative_to: "assignment" },
  });
  const generated = await request.post(`/api/v1/coupons/${coupon}/codes/generate`, {
    headers,
    data: { count: 20, pattern: "RAIN-######" },
  });
  expect(generated.status()).toBe(201);
  const rows = ["user_id,city,age"];
  for (let i = 0; i < 12; i++) rows.push(`shopper${i},${i % 3 === 0 ? "Thane" : "Nagpur"},${20 + i}`);
  const imported = await request.put("/api/v1/users", {
    headers: { ...headers, "content-type": "text/csv" },
    data: rows.join("\n") + "\n",
  });
  expect(imported.status()).toBe(200);

  // The segment builder counts as the rule is edited, in the page.
  await page.click('nav a:has-text("Segments")');
  await hydrated(page);
  await page.click('a:has-text("New segment")');
  await expect(page).toHaveURL(/\/segments\/new$/);
  await hydrated(page);
  // No groups: every user (those of the other journeys too).
  await expect(page.getByTestId("segment-count")).toHaveText(/^\d+$/);
  await page.fill('[data-field="name"] input', "Thane shoppers");
  await page.click('button:has-text("+ Add group")');
  const row = page.locator(".rule-group").first().locator(".condition-row").first();
  await row.locator("input.property").fill("city");
  await row.locator("input.property").press("Tab");
  await row.locator("input.value").fill("thane");
  await row.locator("input.value").press("Tab");
  await expect(page.getByTestId("segment-count")).toHaveText("4");
  await expect(page.getByTestId("segment-preview")).toContainText("shopper0");
  // A bad value shows where it is, and the count waits for it.
  await page.locator(".rule-group").first().locator('button:has-text("+ Add condition")').click();
  const second = page.locator(".rule-group").first().locator(".condition-row").nth(1);
  await second.locator("input.property").fill("age");
  await second.locator("input.property").press("Tab");
  await second.locator("select").selectOption("gte");
  await second.locator("input.value").fill("old");
  await second.locator("input.value").press("Tab");
  await expect(page.getByTestId("segment-preview")).toContainText("Finish the conditions");
  await second.locator("input.value").fill("22");
  await second.locator("input.value").press("Tab");
  await expect(page.getByTestId("segment-count")).toHaveText("3");
  await shot(page, "segment-builder");
  await page.click('button:has-text("Save segment")');
  await expect(page).toHaveURL(/\/segments\/\d+$/);
  await hydrated(page);

  // Launch to it now.
  await page.click('a:has-text("Launch a campaign")');
  await expect(page).toHaveURL(/\/campaigns\/new\?segment=\d+$/);
  await hydrated(page);
  await page.fill('[data-field="name"] input', "Monsoon in Thane");
  await page.selectOption('select[name="coupon_id"]', String(coupon));
  // Before it runs, the form says whom it reaches and what it takes from the code pool.
  await expect(page.getByTestId("launch-estimate")).toHaveText(
    "Launch now assigns the coupon to 3 users. It takes 3 of the 20 free codes.",
  );
  await shot(page, "campaign-estimate");
  await page.click('button:has-text("Launch now")');
  await expect(page).toHaveURL(/\/campaigns\/\d+$/);
  await expect(page.getByTestId("campaign-counts")).toContainText("3assigned");
  await expect(page.locator(".badge.launched")).toBeVisible();
  await shot(page, "campaign-launched");

  // The shopper's tray has the coupon, with a code of their own.
  await page.goto("/users?user_id=shopper3");
  await hydrated(page);
  await expect(page.locator("body")).toContainText("Mumbai monsoon 20%");
  await expect(page.locator("body")).toContainText(/RAIN-\d{6}/);
  const tray = await request.get("/api/v1/users/shopper3/coupons", { headers });
  const body = await tray.json();
  expect(body.coupons.map((c: { coupon_id: number }) => c.coupon_id)).toContain(coupon);
  // Nagpur is not in the segment.
  const other = await (await request.get("/api/v1/users/shopper1/coupons", { headers })).json();
  expect(other.coupons.map((c: { coupon_id: number }) => c.coupon_id)).not.toContain(coupon);
});
