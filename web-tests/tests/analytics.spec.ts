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
  await expect(page.getByTestId('figure-bookings')).toHaveText(usage.total.bookings.toLocaleString('en-US'));
  await expect(page.getByTestId('figure-users')).toHaveText(usage.total.users.toLocaleString('en-US'));
  await expect(page.getByTestId('figure-region-users')).toHaveText(`${(usage.region_user_share * 100).toFixed(1)}%`);

  const flows = await (await request.get(`/api/v1/analytics/flows?from=${from}&to=${to}`)).json();
  const heat = page.getByTestId('flow-heatmap');
  await expect(heat).toBeVisible();
  await expect(heat.locator('g[data-origin]')).toHaveCount(25);
  const anhuiToShanghai = flows.cells.find((cell: { origin: string; provider: string }) => cell.origin === 'AH' && cell.provider === 'SH');
  expect(anhuiToShanghai, 'users from Anhui book in Shanghai').toBeTruthy();
  await expect(heat.locator('g[data-origin="AH"][data-provider="SH"]')).toHaveAttribute('data-value', String(anhuiToShanghai.hours));
  // The city × city map: the ten busiest cities, the biggest flow as the API has it.
  const cityFlows = await (await request.get(`/api/v1/analytics/flows?from=${from}&to=${to}&level=city`)).json();
  const cityHeat = page.getByTestId('city-flow-heatmap');
  await expect(cityHeat.locator('g[data-origin]')).toHaveCount(100);
  const biggest = cityFlows.cells.reduce((a: { hours: number }, b: { hours: number }) => (b.hours > a.hours ? b : a));
  await expect(cityHeat.locator(`g[data-origin="${biggest.origin}"][data-provider="${biggest.provider}"]`))
    .toHaveAttribute('data-value', String(biggest.hours));
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
  await expect(page.getByTestId('figure-bookings')).toHaveText(month.total.bookings.toLocaleString('en-US'));

  // The CSV link downloads the matrix.
  const csv = await request.get((await page.getByTestId('flows-csv').getAttribute('href'))!);
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect(await csv.text()).toContain('origin,provider,bookings,hours,fees_fen');

  // In Chinese.
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('h1')).toHaveText('区域数据分析');
  await expect(page.getByTestId('figure-bookings')).toHaveText(month.total.bookings.toLocaleString('en-US'));
});

test('the cluster-reach dashboard shows the API figure and follows the chosen budget', async ({ page, request }) => {
  test.setTimeout(120_000);
  await page.goto('/analytics?lang=en');
  await page.getByTestId('analytics-tabs').getByRole('link', { name: 'Cluster reach' }).click();
  await expect(page).toHaveURL(/\/analytics\/reach/);
  const from = await page.getByTestId('cluster-from').inputValue();
  const cluster = await page.getByTestId('cluster-target').inputValue();
  expect(cluster).toBe('sector:aerospace');
  const api = async (within: number) => (await request.get(
    `/api/v1/analytics/cluster-reach?from_city=${from}&sector=aerospace&depart=07:00&window=120&within=${within}`)).json();
  const threeHours = await api(180);
  expect(threeHours.members, 'the demo region has aerospace firms').toBeGreaterThan(10);
  await expect(page.getByTestId('cluster-share')).toHaveText(`${(threeHours.share * 100).toFixed(1)}%`);
  const reachedCities = threeHours.cities.filter((city: { minutes: number | null }) => city.minutes !== null).length;
  await expect(page.getByTestId('cluster-cities').locator('tr[data-reached="true"]')).toHaveCount(reachedCities);
  await expect(page.getByTestId('cluster-map').locator('circle[data-city]').first()).toBeVisible();
  await expect(page.getByTestId('cluster-origins').locator('g[data-key]').first()).toBeVisible();
  await page.screenshot({ path: path.join(screenshots, 'analytics-reach.png'), fullPage: true });

  // One hour reaches fewer firms than three.
  await page.getByTestId('cluster-within').selectOption('60');
  await page.getByTestId('cluster-show').click();
  await expect(page).toHaveURL(/within=60/);
  const oneHour = await api(60);
  expect(oneHour.reached).toBeLessThan(threeHours.reached);
  await expect(page.getByTestId('cluster-share')).toHaveText(`${(oneHour.share * 100).toFixed(1)}%`);

  await page.getByTestId('lang-switch').click();
  await expect(page.locator('h1')).toHaveText('高铁集群可达性');
  await expect(page.getByTestId('cluster-share')).toHaveText(`${(oneHour.share * 100).toFixed(1)}%`);
});

test('the vouchers dashboard shows the programmes and the settlement the API reports', async ({ page, request }) => {
  test.setTimeout(120_000);
  await page.goto('/analytics?lang=en');
  await page.getByTestId('analytics-tabs').getByRole('link', { name: 'Vouchers' }).click();
  await expect(page).toHaveURL(/\/analytics\/vouchers/);
  const from = await page.getByTestId('vouchers-from').inputValue();
  const to = await page.getByTestId('vouchers-to').inputValue();
  const figures = await (await request.get(`/api/v1/analytics/vouchers?from=${from}&to=${to}`)).json();
  expect(figures.issued_fen, 'the demo issued vouchers').toBeGreaterThan(0);
  expect(figures.redeemed_in_period_fen, 'the demo year redeemed vouchers').toBeGreaterThan(0);
  await expect(page.getByTestId('vouchers-issued')).toHaveAttribute('data-fen', String(figures.issued_fen));
  await expect(page.getByTestId('vouchers-redeemed-period')).toHaveAttribute('data-fen', String(figures.redeemed_in_period_fen));
  await expect(page.getByTestId('voucher-programmes').locator('tbody tr')).toHaveCount(figures.programmes.length);
  const cell = figures.settlement.reduce((a: { amount_fen: number }, b: { amount_fen: number }) => (b.amount_fen > a.amount_fen ? b : a));
  await expect(page.getByTestId('settlement-heatmap')
    .locator(`g[data-origin="${cell.payer_province}"][data-provider="${cell.provider_province}"]`))
    .toHaveAttribute('data-value', String(cell.amount_fen / 100));
  await page.screenshot({ path: path.join(screenshots, 'analytics-vouchers.png'), fullPage: true });
  const csv = await request.get((await page.getByTestId('settlement-csv').getAttribute('href'))!);
  expect(await csv.text()).toContain('payer_province,provider_province,redemptions,amount_fen');
});

test('the light-source dashboard shows the share from the region the API reports', async ({ page, request }) => {
  await page.goto('/analytics?lang=en');
  await page.getByTestId('analytics-tabs').getByRole('link', { name: 'Light source' }).click();
  await expect(page).toHaveURL(/\/analytics\/facility/);
  const cycle = await page.getByTestId('facility-cycle').inputValue();
  const figures = await (await request.get(`/api/v1/analytics/facility?cycle=${cycle}`)).json();
  expect(figures.statistics.proposals_submitted, 'the demo cycle has proposals').toBeGreaterThan(0);
  expect(figures.statistics.granted_shifts, 'the demo cycle shown is allocated').toBeGreaterThan(0);
  // The page rounds to one decimal; Rust rounds an exact tie (68.25) to even and JavaScript's
  // toFixed up, so the figure is compared as a number, to within the rounding.
  const percent = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace('%', ''));
  await expect(page.getByTestId('facility-share-users')).toHaveText(/^\d+\.\d%$/);
  expect(Math.abs(await percent('facility-share-users') - figures.statistics.share_from_region * 100)).toBeLessThanOrEqual(0.05 + 1e-9);
  await expect(page.getByTestId('facility-share-hours')).toHaveText(/^\d+\.\d%$/);
  expect(Math.abs(await percent('facility-share-hours') - figures.statistics.share_of_hours_from_region * 100)).toBeLessThanOrEqual(0.05 + 1e-9);
  const bars = page.getByTestId('facility-users-chart').locator('[data-key]');
  await expect(bars).toHaveCount(figures.statistics.origins.length);
  await expect(page.getByTestId('facility-kinds').locator('tbody tr')).toHaveCount(figures.statistics.institution_kinds.length);
  await page.screenshot({ path: path.join(screenshots, 'analytics-facility.png'), fullPage: true });
  const csv = await request.get((await page.getByTestId('facility-origins-csv').getAttribute('href'))!);
  expect((await csv.text()).split('\n')[0]).toBe('origin,in_region,users,users_granted,hours_granted');
});
