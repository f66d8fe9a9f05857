// Searching in English and in Chinese, and narrowing the results by a facet.
const { test, expect } = require('@playwright/test');
const path = require('path');

const screenshots = path.join(__dirname, '..', 'screenshots');

async function total(page) {
  return Number((await page.getByTestId('result-total').textContent()).trim().replace(/,/g, ''));
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

test('results come grouped by kind in both languages, a group opens its instruments, and the flat list is a switch away', async ({ page, request }) => {
  for (const [lang, query, kindsWord] of [['en', 'microscope', 'kinds'], ['zh', '显微镜', '类']]) {
    await page.goto(`/search?lang=${lang}`);
    await page.getByTestId('search-input').fill(query);
    await page.getByTestId('search-button').click();
    const groups = page.getByTestId('group');
    await expect(groups.first()).toBeVisible();
    // A broad query shows a different kind on every row.
    const titles = await groups.locator('.card-title').allTextContents();
    expect(new Set(titles).size).toBe(titles.length);
    expect(titles.length).toBeGreaterThanOrEqual(5);
    await expect(page.locator('.summary')).toContainText(kindsWord);
    const api = await (await request.get(`/api/v1/search?q=${encodeURIComponent(query)}`)).json();
    expect(await total(page)).toBe(api.total);
    expect(Number((await page.getByTestId('group-total').textContent()).trim().replace(/,/g, ''))).toBe(api.total_groups);
    const count = Number((await groups.first().getByTestId('group-count').textContent()).trim().replace(/,/g, ''));
    expect(count).toBe(api.groups[0].instruments);
    if (lang === 'en') {
      await page.screenshot({ path: path.join(screenshots, 'search-grouped-en.png'), fullPage: true });
    } else {
      await page.screenshot({ path: path.join(screenshots, 'search-grouped-zh.png'), fullPage: true });
    }
    // One click opens the group: its instruments one by one, all of that kind.
    const firstTitle = titles[0];
    await groups.first().getByTestId('group-open').click();
    await expect(page).toHaveURL(/group=none/);
    expect(await total(page)).toBe(count);
    await expect(page.getByTestId('group')).toHaveCount(0);
    for (const title of await page.getByTestId('results').locator('.card-title').allTextContents()) {
      expect(title).toBe(firstTitle);
    }
  }
  // The switch: the same query, one row per instrument.
  await page.goto('/search?lang=en&q=microscope');
  await page.locator('.view a', { hasText: 'Each instrument' }).click();
  await expect(page).toHaveURL(/group=none/);
  await expect(page.getByTestId('group')).toHaveCount(0);
  await expect(page.getByTestId('results').locator('li').first()).toBeVisible();
});

test('a query that matches nothing as written says what it dropped and offers a spelling', async ({ page }) => {
  await page.goto('/search?lang=en&q=microscope%20qwxzvbnm');
  await expect(page.getByTestId('relaxed')).toContainText('qwxzvbnm');
  expect(await total(page)).toBeGreaterThan(0);
  await page.goto('/search?lang=zh&q=microscpe');
  await expect(page.getByTestId('did-you-mean')).toContainText('microscope');
  await page.getByTestId('did-you-mean').locator('a').click();
  await expect(page).toHaveURL(/q=microscope/);
  expect(await total(page)).toBeGreaterThan(0);
});
