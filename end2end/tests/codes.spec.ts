import { expect, test } from "@playwright/test";
import { createApiKey, hydrated, liveCoupon, login, shot } from "./helpers";

/** A live unique-code coupon, made through the API with a fresh key. */
async function uniqueCoupon(page: import("@playwright/test").Page, request: import("@playwright/test").APIRequestContext) {
  const secret = await createApiKey(page, "Codes journey");
  return liveCoupon(request, secret, { name: "Festive unique codes", reward: { type: "percent_off", percent: 15 }, distribution: { type: "unique" } });
}

test("an admin generates codes, uploads a file with errors, fixes it, and sees the batch counts", async ({
  page,
  request,
}) => {
  await login(page);
  const id = await uniqueCoupon(page, request);

  // Generate: the preview counts the space as you type; a guessable pattern is refused.
  await page.goto(`/coupons/${id}`);
  await hydrated(page);
  await page.click('a:has-text("Codes and batches")');
  await expect(page).toHaveURL(new RegExp(`/coupons/${id}/codes$`));
  await hydrated(page);
  await page.fill('input[name="count"]', "200");
  await page.fill('input[name="pattern"]', "FEST-##");
  await expect(page.getByTestId("pattern-preview")).toContainText("can make 64 codes");
  await page.click('button:has-text("Generate")');
  await expect(page.locator('[data-field="pattern"] .field-error')).toContainText("need at least 20,000");
  // Or a prefix and a length: the preview follows, client-side.
  await page.getByLabel("A prefix and a length").check();
  await page.fill('input[name="prefix"]', "fest-");
  await page.fill('input[name="length"]', "3");
  await page.selectOption('select[name="charset"]', "digits");
  await expect(page.getByTestId("pattern-preview")).toContainText("`FEST-###` can make 512 codes");
  await shot(page, "codes-prefix");
  await page.getByLabel("A pattern").check();
  await page.fill('input[name="pattern"]', "FEST-****-**");
  await expect(page.getByTestId("pattern-preview")).toContainText("possible codes");
  await page.click('button:has-text("Generate")');
  await expect(page.getByTestId("generated")).toContainText("Generated 200 codes");
  await expect(page.locator("tr[data-batch]").first().getByTestId("available")).toHaveText("200");
  await shot(page, "codes-generated");

  // Upload a file with problems: nothing is stored, each problem is shown by line.
  await page.click('a:has-text("Upload a file")');
  await expect(page).toHaveURL(/\/codes\/upload$/);
  await hydrated(page);
  const rows = Array.from({ length: 2000 }, (_, i) => `UP-${String(i).padStart(5, "0")}`);
  const bad = ["code", ...rows.slice(0, 1000), "UP-00007", "BAD CODE", ...rows.slice(1000)].join("\n");
  await page.getByTestId("file").setInputFiles({ name: "festive.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.click('button:has-text("Upload")');
  const refused = page.getByTestId("upload-refused");
  await expect(refused).toContainText("Nothing was stored: 2 of 2,002 rows have problems");
  await expect(refused.locator('tr[data-line="1002"]')).toContainText("appears earlier in this file");
  await expect(refused.locator('tr[data-line="1003"]')).toContainText("characters other than");
  await expect(page.getByTestId("progress-label")).toHaveText("Refused");
  await shot(page, "codes-upload-refused");

  // Fix it and upload again: the bar runs to the end and the batch is stored whole.
  const good = ["code", ...rows].join("\r\n");
  await page.getByTestId("file").setInputFiles({ name: "festive.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.click('button:has-text("Upload")');
  await expect(page.getByTestId("upload-stored")).toContainText("Stored 2,000 codes");
  await expect(page.getByTestId("progress")).toHaveJSProperty("value", 1);
  await shot(page, "codes-upload-stored");

  // The batches: the upload and the generation with their counts; the refused one with its report.
  await page.click('a:has-text("See the batches")');
  await hydrated(page);
  const batches = page.locator("tr[data-batch]");
  await expect(batches).toHaveCount(3);
  await expect(batches.nth(0)).toContainText("uploaded festive.csv");
  await expect(batches.nth(0).getByTestId("available")).toHaveText("2,000");
  await expect(batches.nth(1).getByTestId("batch-status")).toHaveText("failed");
  await expect(batches.nth(1).locator('a:has-text("Problem report")')).toBeVisible();

  // Void the generated batch, after confirming.
  const generated = batches.nth(2);
  await generated.locator('button:has-text("Void unused")').click();
  await generated.locator('button:has-text("Yes, void them")').click();
  await expect(page.locator("tr[data-batch]").nth(2).getByTestId("void")).toHaveText("200");
  await expect(page.locator("tr[data-batch]").nth(2).getByTestId("batch-status")).toHaveText("voided");
  await page.click('nav a:has-text("Codes")');
  await hydrated(page);
  await expect(page.locator("tr[data-batch]")).toHaveCount(3);
  await shot(page, "codes-batches");
});
