// The rail reach page: choose an origin, see the isochrone and the table; the journey on an
// instrument's page.
const { test, expect } = require('@playwright/test');
const path = require('path');

const screenshots = path.join(__dirname, '..', 'screenshots');

test('the reach page shows travel times from the chosen city', async ({ page, request }) => {
  await page.goto('/reach?lang=en');
  await page.getByTestId('reach-from').selectOption('320100');
  await page.getByTestId('reach-button').click();
  await expect(page).toHaveURL(/from=320100/);
  await expect(page.getByTestId('isochrone')).toBeVisible();
  const shanghaiRow = page.getByTestId('reach-table').locator('tr', { hasText: 'Shanghai' });
  const minutes = Number(await shanghaiRow.getAttribute('data-minutes'));
  const api = await (await request.get('/api/v1/reach?from=320100&depart=08:00&window=120&max_minutes=360')).json();
  expect(minutes).toBe(api.cities.find((city) => city.city === 310000).minutes);
  expect(minutes).toBeLessThan(120);
  await page.screenshot({ path: path.join(screenshots, 'reach-en.png'), fullPage: true });
});

test('an instrument page shows the journey from a chosen city', async ({ page, request }) => {
  const found = await (await request.get('/api/v1/search?city=340100&limit=1')).json();
  await page.goto(`/instruments/${found.items[0].id}?lang=zh`);
  await page.getByTestId('journey-from').selectOption('310000');
  await page.getByTestId('journey').getByRole('button').click();
  await expect(page.getByTestId('journey-duration')).toContainText('小时');
  await expect(page.getByTestId('journey').locator('li').first()).toContainText(/^[GDC]\d+/);
  await page.screenshot({ path: path.join(screenshots, 'instrument-journey-zh.png'), fullPage: true });
});
