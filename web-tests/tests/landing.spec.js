// The landing page in both languages, the language switch, and signing in and out.
const { test, expect } = require('@playwright/test');
const path = require('path');

const screenshots = path.join(__dirname, '..', 'screenshots');
const DEMO_PASSWORD = 'corridor-demo';

test('the landing page summarises the region and switches language', async ({ page, request }) => {
  const summary = await (await request.get('/api/v1/stats/summary')).json();
  await page.goto('/?lang=en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('h1')).toHaveText('Yangtze River Delta');
  // The instrument count on the page is the API's.
  await expect(page.getByTestId('stats')).toContainText(summary.instruments.toLocaleString('en-US'));
  for (const province of ['SH', 'JS', 'ZJ', 'AH']) {
    await expect(page.locator(`tr[data-province="${province}"]`)).toBeVisible();
  }
  await expect(page.locator('svg.region-map circle').first()).toBeVisible();
  await page.screenshot({ path: path.join(screenshots, 'landing-en.png'), fullPage: true });

  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await expect(page.getByTestId('stats')).toContainText('仪器');
  await expect(page.locator('tr[data-province="SH"]')).toContainText('上海市');
  await page.screenshot({ path: path.join(screenshots, 'landing-zh.png'), fullPage: true });

  // The choice is remembered on the next page.
  await page.goto('/instruments');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test('a wrong password is refused and the right one signs in and out', async ({ page }) => {
  await page.goto('/?lang=en');
  await page.getByTestId('sign-in-link').click();
  await page.getByLabel('E-mail address').fill('manager@corridor.demo');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('sign-in-error')).toBeVisible();

  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toContainText('Chen Jing');
  await page.screenshot({ path: path.join(screenshots, 'signed-in.png'), fullPage: false });

  const me = await page.request.get('/api/v1/me');
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe('manager@corridor.demo');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByTestId('sign-in-link')).toBeVisible();
  expect((await page.request.get('/api/v1/me')).status()).toBe(401);
});

test('the instrument list filters by province and opens an instrument', async ({ page }) => {
  await page.goto('/instruments?lang=en');
  await page.locator('select[name="province"]').selectOption('AH');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/province=AH/);
  const firstLink = page.locator('table.list tbody a').first();
  const name = await firstLink.textContent();
  await firstLink.click();
  await expect(page.locator('h1')).toHaveText(name);
  await expect(page.locator('dl.facts')).toContainText('Asia/Shanghai');
});
