import { expect, test } from "@playwright/test";
import { createApiKey, hydrated, liveCoupon, login, shot } from "./helpers";

// Runs last (journeys run in file-name order on one server): it adds a coupon, and the builder
// journey expects an empty coupon list.

// A product manager watches a coupon's analytics while the shop redeems through the API: the
// figures, the chart and its table change without a reload.
test("analytics update live while redemptions come in", async ({ page, request }) => {
  await login(page);
  const secret = await createApiKey(page, "analytics journey");
  const headers = { Authorization: `Bearer ${secret}` };
  const id = await liveCoupon(request, secret, {
    name: "Live chart coupon",
    distribution: { type: "static", code: "LIVECHART" },
  });
  const redeem = async (n: number) => {
    const res = await request.post("/api/v1/redemptions", {
      headers,
      data: {
        user_id: `chart-user-${n}`,
        code: "LIVECHART",
        order_id: `chart-order-${n}`,
        cart: { currency: "INR", items: [{ sku: "TEA", quantity: 1, unit_price: 50000 }] },
      },
    });
    expect(res.status()).toBe(201);
  };
  await redeem(1);

  await page.goto(`/coupons/${id}/analytics`);
  await hydrated(page);
  const redemptions = page.locator('[data-kpi="redemptions"] .kpi-value');
  await expect(redemptions).toHaveText("1");
  await expect(page.locator('[data-kpi="discount_given"] .kpi-value')).toContainText("50");
  // ECharts drew the chart (a canvas), from the same numbers the table shows.
  await expect(page.locator('[data-testid="chart-daily"] canvas')).toBeAttached();
  const plotted = () =>
    page.evaluate(() => {
      const el = document.querySelector('[data-testid="chart-daily"]') as HTMLElement;
      const chart = (window as any).echarts.getInstanceByDom(el);
      const data = chart.getOption().series[0].data as number[];
      return data.reduce((a, b) => a + Number(b), 0);
    });
  expect(await plotted()).toBe(1);
  await shot(page, "analytics-before");

  await redeem(2);
  await redeem(3);
  // No reload: the page asks for fresh figures every few seconds.
  await expect(redemptions).toHaveText("3", { timeout: 15_000 });
  // Redeemers are counted exactly, apart from the report, and follow it.
  await expect(page.locator('[data-kpi="redeemers"] .kpi-value')).toHaveText("3", { timeout: 15_000 });
  await expect.poll(plotted, { timeout: 10_000 }).toBe(3);
  await page.locator("details.table-view summary").first().click();
  const today = page.locator('[data-testid="daily-table"] tbody tr').last();
  await expect(today.locator("td").nth(1)).toHaveText("3");
  await expect(page.locator('[data-testid="live"]')).toContainText("Live");
  await shot(page, "analytics-live");

  // What stops people: a cart in another currency is refused at validate; the count reaches the
  // page within a scheduler tick and a refresh, with the reason in the card's table.
  const refused = await request.post("/api/v1/validate", {
    headers,
    data: {
      user_id: "chart-user-9",
      code: "LIVECHART",
      cart: { currency: "USD", items: [{ sku: "TEA", quantity: 1, unit_price: 500 }] },
    },
  });
  expect(refused.status()).toBe(200);
  await expect(page.locator('[data-kpi="validations"] .kpi-value')).toHaveText("1", { timeout: 15_000 });
  await expect(page.locator('[data-kpi="refused"] .kpi-value')).toHaveText("1");
  await page.locator('section:has([data-testid="chart-refusals"]) summary').click();
  await expect(page.locator('[data-testid="refusal-table"]')).toContainText("currency_mismatch");
  await shot(page, "analytics-refusals");

  // A bad time zone is named next to its field; nothing else breaks.
  await page.fill('input[name="zone"]', "Mars/Olympus");
  await page.click('button:has-text("Show")');
  await expect(page.locator('[data-field="zone"] .field-error')).toContainText("Mars/Olympus");

  // The export is the coupon's redemptions, one line each, formulas defused.
  const csv = await page.request.get(`/coupons/${id}/redemptions.csv`);
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toContain("text/csv");
  const lines = (await csv.text()).trim().split(/\r?\n/);
  expect(lines).toHaveLength(4);
  expect(lines[1]).toContain("chart-user-1");

  // Across coupons, the coupon is among the top ones.
  await page.click('nav a:has-text("Analytics")');
  await hydrated(page);
  await expect(page.locator('[data-testid="chart-top"] canvas')).toBeAttached();
  await page.locator('summary:has-text("Table")').nth(3).click();
  await expect(page.locator('[data-testid="top-table"]')).toContainText("Live chart coupon");
  await shot(page, "analytics-overview");
});
