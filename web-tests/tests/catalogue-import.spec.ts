// An institution admin brings a catalogue file in through the pages: uploads a CSV with
// errors, reads the report (every problem by row and column, in English and in Chinese),
// fixes the file, checks it again, applies it, and finds the new instrument in search. The
// report page is also checked as every page is: axe-core finds no serious or critical
// violation, and at a phone's width (390 px) nothing scrolls sideways.
import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'path';
import fs from 'fs';

const screenshots = path.join(__dirname, '..', 'screenshots');
const DEMO_PASSWORD = 'corridor-demo';
const PHONE = { width: 390, height: 844 };

async function signIn(page: Page, email: string) {
  await page.goto('/sign-in?lang=en');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | ')}`);
}

async function scrollsSideways(page: Page): Promise<boolean> {
  return await page.evaluate(() => {
    const root = document.scrollingElement!;
    return root.scrollWidth > root.clientWidth + 1;
  });
}

function csv(rows: string[][]): Buffer {
  const text = rows.map((row) => row.map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',')).join('\n') + '\n';
  return Buffer.from(text, 'utf8');
}

test('an institution admin imports a catalogue file, fixing its errors first', async ({ page, request }) => {
  fs.mkdirSync(path.join(screenshots, 'phone'), { recursive: true });
  const categories = await (await request.get('/api/v1/categories')).json();
  const code: string = (categories.items ?? categories).map((category: { code: string }) => category.code)
    .find((candidate: string) => candidate.length > 2);
  expect(code, 'the demo taxonomy has a sub-category').toBeTruthy();
  const suffix = Date.now() % 100000;
  const unique = `Zephyrgrav${suffix}`;
  const header = ['资产编号', '仪器名称', '英文名称', '分类编码', '原值（万元）', '购置日期', '开放共享方式'];

  await signIn(page, 'institution-admin@corridor.demo');
  await page.goto('/account?lang=en');
  await page.getByTestId('catalogue-link').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Catalogue');
  await expect(page.getByTestId('export-institution-csv')).toHaveAttribute('href', /format=csv&institution=\d+/);

  // A file with errors: a missing name, an unknown classification code, a date that is none.
  const broken = csv([
    header,
    [`PW-${suffix}-1`, '', `${unique} imaging gravimeter`, code, '12.5', '2021-07-01', '对外开放'],
    [`PW-${suffix}-2`, '第二台', 'Second one', '00000000', '3', 'yesterday', '对外开放'],
  ]);
  await page.getByLabel('Catalogue file (CSV or XLSX)').setInputFiles({ name: 'catalogue.csv', mimeType: 'text/csv', buffer: broken });
  await page.getByTestId('catalogue-check').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('catalogue.csv');
  await expect(page.getByTestId('catalogue-errors')).toHaveText('3');
  const problems = page.getByTestId('catalogue-problems');
  await expect(problems.locator('tbody tr[data-severity=error]')).toHaveCount(3);
  await expect(problems).toContainText('name must not be empty');
  await expect(problems).toContainText('classification code "00000000" matches no category');
  await expect(problems).toContainText('"yesterday" is not a date');
  // Row and column of each: the name is row 2, column B.
  const nameProblem = problems.locator('tbody tr', { hasText: 'name must not be empty' });
  await expect(nameProblem.locator('td').nth(0)).toHaveText('2');
  await expect(nameProblem.locator('td').nth(1)).toContainText('B');
  await expect(page.getByTestId('catalogue-not-applicable')).toBeVisible();
  await expect(page.getByTestId('catalogue-apply')).toHaveCount(0);

  // The same report in Chinese.
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh');
  await expect(problems).toContainText('仪器名称不能为空');
  await expect(problems).toContainText('分类编码“00000000”不在仪器分类中');
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  // At a phone's width the report does not scroll sideways.
  await page.setViewportSize(PHONE);
  expect(await scrollsSideways(page)).toBe(false);
  await page.screenshot({ path: path.join(screenshots, 'phone', 'catalogue-report-errors.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The fixed file, checked from the report page's own form.
  const fixed = csv([
    header,
    [`PW-${suffix}-1`, '泽菲尔成像重力仪', `${unique} imaging gravimeter`, code, '12.5', '2021-07-01', '对外开放'],
    [`PW-${suffix}-2`, '第二台', 'Second one', code, '3', '2020-01-15', '对外开放'],
  ]);
  await page.getByLabel('Catalogue file (CSV or XLSX)').setInputFiles({ name: 'catalogue-fixed.csv', mimeType: 'text/csv', buffer: fixed });
  await page.getByTestId('catalogue-check').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('catalogue-fixed.csv');
  await expect(page.getByTestId('catalogue-errors')).toHaveText('0');
  await expect(page.getByTestId('catalogue-created-count')).toHaveText('2');
  await expect(page.getByTestId('catalogue-withdrawn-count')).toHaveText('0');
  await expect(page.getByTestId('catalogue-checked-partial')).toBeVisible();

  // Checked as a complete file, the institution's other instruments would be withdrawn;
  // the admin goes back to the partial reading before applying.
  await page.getByTestId('catalogue-other-choice').click();
  await expect(page.getByTestId('catalogue-checked-complete')).toBeVisible();
  expect(Number((await page.getByTestId('catalogue-withdrawn-count').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
  await page.getByTestId('catalogue-other-choice').click();
  await expect(page.getByTestId('catalogue-checked-partial')).toBeVisible();
  await page.setViewportSize(PHONE);
  expect(await scrollsSideways(page)).toBe(false);
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: path.join(screenshots, 'phone', 'catalogue-report-ready.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  await expect(page.getByTestId('catalogue-apply')).toHaveText('Apply: create 2, change 0, withdraw 0');
  await page.getByTestId('catalogue-apply').click();
  await expect(page.getByTestId('notice')).toContainText('Applied: 2 created, 0 changed, 0 withdrawn');

  // The new instrument is in search at once.
  await page.goto(`/search?q=${unique}&lang=en`);
  await expect(page.getByTestId('results').locator('li').first()).toContainText(unique);

  // The same file again changes nothing, and says so.
  await page.goto('/institution/catalogue?lang=en');
  await page.getByLabel('Catalogue file (CSV or XLSX)').setInputFiles({ name: 'catalogue-fixed.csv', mimeType: 'text/csv', buffer: fixed });
  await page.getByTestId('catalogue-check').click();
  await expect(page.getByTestId('catalogue-changes-nothing')).toBeVisible();
  await expect(page.getByTestId('catalogue-apply')).toHaveCount(0);

  // The institution's export link serves the file with its entity tag, and the new
  // instrument is in it.
  await page.goto('/institution/catalogue?lang=en');
  const href = await page.getByTestId('export-institution-csv').getAttribute('href');
  const exported = await request.get(href!);
  expect(exported.status()).toBe(200);
  expect(exported.headers()['etag']).toMatch(/^"[0-9a-f]{32}"$/);
  expect(await exported.text()).toContain(unique);
});

test('someone who is not an institution admin is turned away', async ({ page }) => {
  await signIn(page, 'researcher@corridor.demo');
  const response = await page.goto('/institution/catalogue?lang=en');
  expect(response!.status()).toBe(403);
});
