// Searching in English and in Chinese, and narrowing the results by a facet.
const { test, expect } = require('@playwright/test');
const path = require('path');

const screenshots = path.join(__dirname, '..', 'screenshots');

async function total(page) {
  return Number((await page.getByTestId('result-total').textContent()).trim());
}

test('search in English, then narrow by a province facet', async ({ page, request }) => {
  await page.goto('/search?lang=en');
  await page.getByTestId('search-input').fill('mass spectrometer');
  await page.getByTestId('search-button').click();
  await expect(page).toHaveURL(/q=mass\+spectrometer/);
  const all = await total(page);
  expect(all).toBeGreaterThan(100);
  const api = await (await request.get('/api/v1/search?q=mass%20spectrometer')).json();
  expect(all).toBe(api.total);
  await expect(page.getByTestId('results').locator('li').first()).toContainText(/spectrometer/i);
  await expect(page.locator('.results-map svg circle').first()).toBeVisible();

  // Narrow by province: the count shown beside Anhui is the count that choosing it gives.
  const anhui = page.locator('[data-facet="province"] a', { hasText: 'Anhui' });
  const shown = Number(await anhui.getAttribute('data-count'));
  await anhui.click();
  await expect(page).toHaveURL(/province=AH/);
  expect(await total(page)).toBe(shown);
  expect(shown).toBeLessThan(all);
  for (const place of await page.locator('.card-place').allTextContents()) {
    expect(place).toMatch(/Hefei|Wuhu|Bengbu|Huainan|Ma'anshan|Huaibei|Tongling|Anqing|Huangshan|Chuzhou|Fuyang|Suzhou|Lu'an|Bozhou|Chizhou|Xuancheng/);
  }
  await page.screenshot({ path: path.join(screenshots, 'search-en.png'), fullPage: true });
});

test('search in Chinese finds the same kind of instrument', async ({ page }) => {
  await page.goto('/search?lang=zh');
  await page.getByTestId('search-input').fill('质谱仪');
  await page.getByTestId('search-button').click();
  expect(await total(page)).toBeGreaterThan(100);
  await expect(page.getByTestId('results').locator('li').first()).toContainText(/质谱|液质联用/);
  // Narrow by a category facet and see every card still a match.
  await page.locator('[data-facet="training_required"] a').first().click();
  await expect(page.locator('[data-facet="training_required"] a.selected')).toHaveCount(1);
  expect(await total(page)).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(screenshots, 'search-zh.png'), fullPage: true });

  await page.getByTestId('search-input').fill('XRD 合肥');
  await page.getByTestId('search-button').click();
  expect(await total(page)).toBeGreaterThan(0);
  for (const place of await page.locator('.card-place').allTextContents()) {
    expect(place).toContain('合肥');
  }
});
