// The analytics dashboard in the browser: it opens from the navigation, its headline figures
// and its flow heat map agree with the API for the same period, a period can be picked, and
// the page reads in Chinese. The demo region's year of bookings is the data.
import { test, expect } from '@playwright/test';
import path from 'path';

const screenshots = path.join(__dirname, '..', 'screenshots');

test('the analytics dashboard shows the same figures as the API', async ({ page, request }) => {
  test.setTimeout(120_000);
  await page.goto('/?lang=en');
  await page.getByTestId('nav-analytics').click();
  await expect(page).toHaveURL(/\/analytics$/);
  await expect(page.locator('h1')).toHaveText('Regional analytics');
  const from = await page.getByTestId('analytics-from').inputValue();
  const to = await page.getByTestId('analytics-to').inputValue();
  expect(from).toMatch(/^\d{4}-\d{2}-\d{2}$/);

  const usage = await (await request.get(`/api/v1/analytics/usage-by-origin?from=${from}&to=${to}`)).json();
  expect(usage.total.bookings, 'the demo year has bookings').toBeGreaterThan(100_000);
  await expect(page.getByTestId('figure-bookings')).toHaveText(String(usage.total.bookings));
  await expect(page.getByTestId('figure-users')).toHaveText(String(usage.total.users));
  await expect(page.getByTestId('figure-region-users')).toHaveText(`${(usage.region_user_share * 100).toFixed(1)}%`);

  const flows = await (await request.get(`/api/v1/analytics/flows?from=${from}&to=${to}`)).json();
  const heat = page.getByTestId('flow-heatmap');
  await expect(heat).toBeVisible();
  await expect(heat.locator('g[data-origin]')).toHaveCount(25);
  const anhuiToShanghai = flows.cells.find((cell: { origin: string; provider: string }) => cell.origin === 'AH' && cell.provider === 'SH');
  expect(anhuiToShanghai, 'users from Anhui book in Shanghai').toBeTruthy();
  await expect(heat.locator('g[data-origin="AH"][data-provider="SH"]')).toHaveAttribute('data-value', String(anhuiToShanghai.hours));
  await expect(page.getByTestId('origin-bars').locator('g[data-key]')).toHaveCount(5);
  await expect(page.getByTestId('idle-instruments').locator('tbody tr').first()).toBeVisible();
  await page.screenshot({ path: path.join(screenshots, 'analytics.png'), fullPage: true });

  // A shorter period: the last 30 days, with fewer bookings.
  const toDate = new Date(`${to}T00:00:00Z`);
  const monthAgo = new Date(toDate.getTime() - 30 * 86_400_000).toISOString().slice(0, 10);
  await page.getByTestId('analytics-from').fill(monthAgo);
  await page.getByTestId('analytics-show').click();
  await expect(page).toHaveURL(new RegExp(`from=${monthAgo}`));
  const month = await (await request.get(`/api/v1/analytics/usage-by-origin?from=${monthAgo}&to=${to}`)).json();
  expect(month.total.bookings).toBeLessThan(usage.total.bookings);
  await expect(page.getByTestId('figure-bookings')).toHaveText(String(month.total.bookings));

  // The CSV link downloads the matrix.
  const csv = await request.get((await page.getByTestId('flows-csv').getAttribute('href'))!);
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect(await csv.text()).toContain('origin,provider,bookings,hours,fees_fen');

  // In Chinese.
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('h1')).toHaveText('区域数据分析');
  await expect(page.getByTestId('figure-bookings')).toHaveText(String(month.total.bookings));
});
