import { expect, Page, test } from "@playwright/test";
import { field, hydrated, login, shot } from "./helpers";

async function addCondition(page: Page, path: string, property: string, op: string, value: string) {
  const box = page.locator(`[data-field="${path}"]`).first();
  await box.locator('button:has-text("+ Add condition")').click();
  const row = box.locator(".condition-row").last();
  await row.locator("input.property").fill(property);
  await row.locator("input.property").dispatchEvent("change");
  await row.locator("select").selectOption(op);
  await row.locator("input.value").fill(value);
  await row.locator("input.value").dispatchEvent("change");
}

test("the live summary follows typing without a page load (hydration)", async ({ page }) => {
  await login(page);
  await page.goto("/coupons/new");
  await hydrated(page);
  await page.evaluate(() => ((window as any).__samePage = true));
  const summary = page.getByTestId("summary");
  await field(page, "reward.percent").fill("15");
  await expect(summary).toContainText("15% off");
  await field(page, "reward.percent").fill("25");
  await expect(summary).toContainText("25% off");
  // Spend more, save more: a tier, typed in the coupon's currency, joins the sentence.
  await page.getByRole("button", { name: "+ Add tier" }).click();
  await page.getByLabel("Tier 1: from").fill("2000");
  await page.getByLabel("Tier 1: percent off").fill("30");
  await expect(summary).toContainText("25% off, 30% off from $2,000");
  await page.getByRole("button", { name: "Remove tier 1" }).click();
  await expect(summary).not.toContainText("30% off");
  // Buy X, get Y: its own fields, the same sentence, and back.
  await field(page, "reward.type").selectOption("buy_x_get_y");
  await field(page, "reward.buy_quantity").fill("2");
  await field(page, "reward.get_quantity").fill("1");
  await field(page, "reward.percent").fill("100");
  await expect(summary).toContainText("buy 2, get 1 free");
  await expect(page.locator('[data-field="reward.tiers"]')).toHaveCount(0);
  await field(page, "reward.type").selectOption("percent_off");
  await field(page, "reward.percent").fill("25");
  await expect(summary).toContainText("25% off");
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
  // Property names are suggested: the facts every cart has, with the page's first render.
  await expect(page.locator("datalist#cart-facts option")).toHaveCount(3);
  // One day's hours, copied to the whole week.
  const monday = page.locator('.schedule-day[data-day="mon"]');
  await monday.locator('input[type="checkbox"]').check();
  await monday.locator('button:has-text("+ Time range")').click();
  await monday.locator('button:has-text("Same hours every day")').click();
  await expect(page.locator('.schedule-day input[type="checkbox"]:checked')).toHaveCount(7);
  await expect(page.locator('.schedule-day[data-day="sun"] input[type="time"]').nth(0)).toHaveValue("09:00");
});

test("a use case fills the builder, ready to save", async ({ page }) => {
  await login(page);
  await page.goto("/coupons/new");
  await hydrated(page);
  await page.locator('[data-template="upi-top-up"]').click();
  await expect(page).toHaveURL(/template=upi-top-up/);
  await expect(field(page, "name")).toHaveValue("UPI top-up ₹50 back");
  await expect(page.getByTestId("summary")).toContainText("50");
  await shot(page, "builder-template");
  // Nothing is stored until it is saved (the next journey expects an empty list).
  await page.goto("/coupons");
  await expect(page.locator(".empty-state")).toBeVisible();
});

test("a bad field shows its error next to it and nothing is stored", async ({ page }) => {
  await login(page);
  await page.goto("/coupons/new");
  await hydrated(page);
  await field(page, "name").fill("Broken");
  await field(page, "reward.percent").fill("0");
  await field(page, "distribution.code").fill("x");
  await page.click('button:has-text("Save coupon")');
  await expect(page.locator('[data-field="reward.percent"] .field-error')).toContainText("1");
  await expect(page.locator('[data-field="distribution.code"] .field-error')).toBeVisible();
  await expect(page.locator(".banner.error")).toBeVisible();
  // The summary at the top lists each bad field; focus is on the first, which says it is invalid
  // and which message describes it; a link in the summary takes focus to its field.
  const summary = page.getByTestId("error-summary");
  await expect(summary).toContainText("Reward › percent");
  await expect(field(page, "reward.percent")).toBeFocused();
  await expect(field(page, "reward.percent")).toHaveAttribute("aria-invalid", "true");
  await expect(field(page, "reward.percent")).toHaveAttribute("aria-describedby", "err-reward-percent");
  await summary.getByRole("link", { name: /Distribution › code/ }).click();
  await expect(field(page, "distribution.code")).toBeFocused();
  await shot(page, "builder-errors");
  await page.goto("/coupons");
  await expect(page.locator(".empty-state")).toBeVisible();
});

test("a coupon with every section, checked after reload, through its lifecycle and the audit log", async ({ page }) => {
  await login(page);
  await page.click('a:has-text("New coupon")');
  await expect(page).toHaveURL(/\/coupons\/new/);
  await hydrated(page);

  // Basics
  await field(page, "name").fill("Weekend shoes");
  await field(page, "description").fill("Shoes on weekends");
  await field(page, "currency").selectOption("INR");
  await field(page, "time_zone").fill("Asia/Kolkata");
  // Reward
  await field(page, "reward.type").selectOption("percent_off");
  await field(page, "reward.percent").fill("10");
  await field(page, "reward.max_discount").fill("200");
  // Applies to
  await field(page, "applies_to.type").selectOption("items");
  await field(page, "applies_to.categories").fill("Shoes");
  await field(page, "applies_to.skus").fill("SKU-1, SKU-2");
  await addCondition(page, "applies_to.conditions", "color", "eq", "red");
  // Qualifying rules
  await addCondition(page, "qualifying.user", "city", "eq", "Mumbai");
  await addCondition(page, "qualifying.items", "brand", "one_of", "Acme, Zed");
  // Amounts in conditions are typed in the coupon's currency, as the reward is.
  await addCondition(page, "qualifying.cart", "subtotal", "gte", "5.555");
  const subtotal = page.locator('[data-row="qualifying.cart[0]"]');
  await expect(subtotal.locator(".unit")).toHaveText("INR");
  await expect(subtotal.locator(".field-error")).toContainText("at most 2 decimals");
  await subtotal.locator("input.value").fill("500");
  await subtotal.locator("input.value").dispatchEvent("change");
  await expect(subtotal.locator(".field-error")).toHaveCount(0);
  // Audience, distribution, activation, expiry
  await field(page, "audience").selectOption("all_users");
  await field(page, "distribution.type").selectOption("static");
  await field(page, "distribution.code").fill("weekend10");
  await field(page, "activation.type").selectOption("time");
  await field(page, "activation.from").fill("2026-10-20T09:00");
  await field(page, "expiry.type").selectOption("relative");
  await field(page, "expiry.duration.value").fill("7");
  await field(page, "expiry.duration.unit").selectOption("days");
  await field(page, "expiry.relative_to").selectOption("activation");
  // Limits and caps
  await field(page, "limits.per_user").fill("1");
  await field(page, "limits.global").fill("1,000");
  await field(page, "limits.budget_discount").fill("50000");
  const caps = page.locator('[data-field="limits.caps"]');
  await caps.locator('button:has-text("+ Add cap")').click();
  await caps.locator(".cap-row").nth(0).locator("input").fill("100");
  await caps.locator('button:has-text("+ Add cap")').click();
  const second = caps.locator(".cap-row").nth(1);
  await second.locator("input").fill("2");
  await second.locator("select").nth(0).selectOption("week");
  await second.locator("select").nth(1).selectOption("per_user");
  // Window
  await field(page, "window.start").fill("2026-10-20T00:00");
  await field(page, "window.end").fill("2027-11-05T00:00");
  // Schedule: weekends 10:00–22:00
  for (const day of ["sat", "sun"]) {
    const row = page.locator(`.schedule-day[data-day="${day}"]`);
    await row.locator('input[type="checkbox"]').check();
    await row.locator('button:has-text("+ Time range")').click();
    await row.locator('input[type="time"]').nth(0).fill("10:00");
    await row.locator('input[type="time"]').nth(0).dispatchEvent("change");
    await row.locator('input[type="time"]').nth(1).fill("22:00");
    await row.locator('input[type="time"]').nth(1).dispatchEvent("change");
  }
  // Visibility, targeting, stacking
  await field(page, "visibility").selectOption("hidden");
  await addCondition(page, "targeting", "language", "one_of", "en, hi");
  await field(page, "stacking").selectOption("combinable");

  const summary = page.getByTestId("summary");
  await expect(summary).toContainText("10% off up to ₹200");
  await expect(summary).toContainText("Asia/Kolkata");
  await expect(summary).toContainText("1,000 in total");
  await expect(summary).toContainText("when cart subtotal ≥ ₹500");
  await shot(page, "builder-full");

  await page.click('button:has-text("Save coupon")');
  await expect(page).toHaveURL(/\/coupons\/\d+$/);
  const detailUrl = page.url();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("status")).toHaveText("draft");
  const saved = page.getByTestId("summary");
  for (const part of ["10% off up to ₹200", "Shoes", "Asia/Kolkata", "once per user", "1,000 in total", "WEEKEND10"]) {
    await expect(saved).toContainText(part);
  }
  await shot(page, "coupon-detail");

  // Every value is back in the builder after a reload.
  await page.click('a:has-text("Edit")');
  await hydrated(page);
  await expect(field(page, "name")).toHaveValue("Weekend shoes");
  await expect(field(page, "description")).toHaveValue("Shoes on weekends");
  await expect(field(page, "currency")).toHaveValue("INR");
  await expect(field(page, "time_zone")).toHaveValue("Asia/Kolkata");
  await expect(field(page, "reward.percent")).toHaveValue("10");
  await expect(field(page, "reward.max_discount")).toHaveValue("200");
  await expect(field(page, "applies_to.type")).toHaveValue("items");
  await expect(field(page, "applies_to.categories")).toHaveValue("Shoes");
  await expect(field(page, "applies_to.skus")).toHaveValue("SKU-1, SKU-2");
  await expect(page.locator('[data-row="applies_to.conditions[0]"] input.property')).toHaveValue("color");
  await expect(page.locator('[data-row="qualifying.user[0]"] input.value')).toHaveValue("Mumbai");
  await expect(page.locator('[data-row="qualifying.items[0]"] input.value')).toHaveValue("Acme, Zed");
  await expect(page.locator('[data-row="qualifying.cart[0]"] input.value')).toHaveValue("500");
  await expect(field(page, "distribution.code")).toHaveValue("WEEKEND10");
  await expect(field(page, "activation.from")).toHaveValue("2026-10-20T09:00");
  await expect(field(page, "expiry.type")).toHaveValue("relative");
  await expect(field(page, "expiry.duration.value")).toHaveValue("7");
  await expect(field(page, "expiry.relative_to")).toHaveValue("activation");
  await expect(field(page, "limits.per_user")).toHaveValue("1");
  await expect(field(page, "limits.global")).toHaveValue("1000");
  await expect(field(page, "limits.budget_discount")).toHaveValue("50000");
  await expect(page.locator(".cap-row")).toHaveCount(2);
  await expect(page.locator(".cap-row").nth(1).locator("select").nth(1)).toHaveValue("per_user");
  await expect(field(page, "window.end")).toHaveValue("2027-11-05T00:00");
  await expect(page.locator('.schedule-day[data-day="sat"] input[type="checkbox"]')).toBeChecked();
  await expect(page.locator('.schedule-day[data-day="mon"] input[type="checkbox"]')).not.toBeChecked();
  await expect(page.locator('.schedule-day[data-day="sun"] input[type="time"]').nth(1)).toHaveValue("22:00");
  await expect(field(page, "visibility")).toHaveValue("hidden");
  await expect(page.locator('[data-row="targeting[0]"] input.property')).toHaveValue("language");
  await expect(field(page, "stacking")).toHaveValue("combinable");

  // Lifecycle: activate, pause, archive; the history and the audit log record each step.
  await page.goto(detailUrl);
  await hydrated(page);
  for (const [verb, status] of [["Activate", "active"], ["Pause", "paused"], ["Archive", "archived"]]) {
    await page.click(`button:has-text("${verb}")`);
    if (verb === "Archive") {
      // Archiving cannot be undone: it asks, and "Cancel" leaves the coupon as it was.
      await page.getByRole("group", { name: "Confirm" }).getByRole("button", { name: "Cancel" }).click();
      await expect(page.getByTestId("status")).toHaveText("paused");
      await page.click(`button:has-text("${verb}")`);
      await expect(page.getByRole("button", { name: "Yes, archive" })).toBeFocused();
      await shot(page, "confirm-archive");
      await page.getByRole("button", { name: "Yes, archive" }).click();
    }
    await expect(page.getByTestId("status")).toHaveText(status);
  }
  await expect(page.locator('a:has-text("Edit")')).toHaveCount(0);
  await shot(page, "coupon-archived");
  await page.click('nav a:has-text("Audit log")');
  await expect(page).toHaveURL(/\/audit/);
  const rows = page.locator("table.audit > tbody > tr");
  await expect(rows.nth(0)).toContainText("coupon.archived");
  await expect(rows.nth(1)).toContainText("coupon.paused");
  await expect(rows.nth(2)).toContainText("coupon.active");
  await expect(rows.nth(3)).toContainText("coupon.create");
  // Each entry shows what changed, not two JSON documents; filters narrow the log.
  await expect(rows.nth(0).locator("table.changes")).toContainText("archived");
  await shot(page, "audit-log");
  await page.fill('input[name="action"]', "ARCHIVED");
  await page.click('button:has-text("Filter")');
  await expect(page).toHaveURL(/action=ARCHIVED/);
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toContainText("coupon.archived");
  await page.click('nav a:has-text("Coupons")');
  await expect(page.locator("table.coupons tbody tr")).toHaveCount(1);
  await expect(page.locator("table.coupons")).toContainText("WEEKEND10");
  await shot(page, "coupons-list");
});
