// The keyboard alone (issue 31): signing in, the search with its facets, the whole booking
// flow and the proposal form, driven only by key presses (Tab, Shift+Tab, Enter, Space,
// typing), never the mouse. Typing an address is allowed, as a person does. Each journey
// counts its key presses and must stay within a budget, so a page that buries its controls
// behind dozens of links fails here.
import { test, expect, Page, Locator, APIRequestContext } from '@playwright/test';

const DEMO_PASSWORD = 'corridor-demo';

class Keyboard {
  presses = 0;
  constructor(private page: Page) {}

  // Presses Tab until `target` has the focus; fails after `limit` presses.
  async tabTo(target: Locator, limit = 80) {
    await expect(target).toHaveCount(1);
    const handle = await target.elementHandle();
    for (let tab = 0; tab < limit; tab += 1) {
      if (await this.page.evaluate((element) => document.activeElement === element, handle)) {
        // The focused control is visibly marked (an outline or a ring), never invisible.
        const outline = await this.page.evaluate(() => {
          const style = getComputedStyle(document.activeElement!);
          return `${style.outlineStyle} ${style.outlineWidth} ${style.boxShadow}`;
        });
        expect(outline, 'the focused control shows its focus').not.toBe('none 0px none');
        return;
      }
      await this.page.keyboard.press('Tab');
      this.presses += 1;
    }
    throw new Error(`Tab did not reach ${target} within ${limit} presses`);
  }

  async press(key: string) {
    await this.page.keyboard.press(key);
    this.presses += 1;
  }

  async type(text: string) {
    await this.page.keyboard.type(text);
    this.presses += text.length;
  }
}

async function signInByKeyboard(page: Page, keys: Keyboard, email: string) {
  await page.goto('/sign-in?lang=en');
  await keys.tabTo(page.getByLabel('E-mail address'));
  await keys.type(email);
  await keys.press('Tab');
  await expect(page.getByLabel('Password')).toBeFocused();
  await keys.type(DEMO_PASSWORD);
  await keys.press('Enter');
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
}

// Instruments a researcher may book at once: open to all, no training, instant booking.
async function instantlyBookable(request: APIRequestContext): Promise<number[]> {
  const search = await (await request.get(
    '/api/v1/search?booking_mode=instant&training_required=false&access_policy=open&group=none&limit=20',
  )).json();
  expect(search.total).toBeGreaterThan(0);
  return search.items.map((item: { id: number }) => item.id);
}

test('the search and its facets work from the keyboard alone', async ({ page }) => {
  const keys = new Keyboard(page);
  await page.goto('/search?lang=en');
  await keys.tabTo(page.locator('.search-box input[name="q"]'));
  await keys.type('microscope');
  await keys.press('Enter');
  await expect(page).toHaveURL(/q=microscope/);
  const before = Number((await page.getByTestId('result-total').textContent())!.replace(/,/g, ''));
  // The first facet value of the province facet, reached with Tab and followed with Enter.
  const facet = page.locator('.facet a[href*="province="]').first();
  await keys.tabTo(facet, 120);
  await keys.press('Enter');
  await expect(page).toHaveURL(/province=/);
  const after = Number((await page.getByTestId('result-total').textContent())!.replace(/,/g, ''));
  expect(after).toBeGreaterThan(0);
  expect(after).toBeLessThan(before);
  console.log(`keyboard: search with a facet in ${keys.presses} key presses`);
  expect(keys.presses).toBeLessThan(160);
});

test('a researcher books a free hour next week from the keyboard alone', async ({ page, request }) => {
  test.setTimeout(120_000);
  const keys = new Keyboard(page);
  await signInByKeyboard(page, keys, 'researcher@corridor.demo');
  const candidates = await instantlyBookable(request);
  for (const instrument of candidates) {
    await page.goto(`/instruments/${instrument}?lang=en`);
    await keys.tabTo(page.getByTestId('next-week'), 120);
    await keys.press('Enter');
    await expect(page).toHaveURL(/week=\d{4}-\d{2}-\d{2}/);
    const slot = page.getByTestId('free-slot').first();
    if (await slot.count() === 0) continue;
    await keys.tabTo(slot, 200);
    await keys.press('Enter');
    await expect(page.getByTestId('booking-start')).not.toHaveValue('');
    await keys.tabTo(page.getByTestId('booking-purpose'), 60);
    await keys.type('Keyboard-only booking (browser suite)');
    await keys.tabTo(page.getByTestId('check-price'), 20);
    await keys.press('Enter');
    await expect(page.getByTestId('quote')).toBeVisible();
    if (await page.getByTestId('book-button').count() === 0) continue;
    await keys.tabTo(page.getByTestId('book-button'), 80);
    await keys.press('Enter');
    await expect(page).toHaveURL(/\/bookings\?notice=booked&booking=\d+/);
    await expect(page.getByTestId('notice')).toBeVisible();
    console.log(`keyboard: signed in and booked in ${keys.presses} key presses`);
    expect(keys.presses).toBeLessThan(500);
    return;
  }
  throw new Error('no instrument could be booked from the keyboard');
});

test('the proposal form works from the keyboard alone', async ({ page }) => {
  const keys = new Keyboard(page);
  await signInByKeyboard(page, keys, 'researcher@corridor.demo');
  await page.goto('/facility?lang=en');
  await keys.tabTo(page.getByTestId('propose-link').first(), 60);
  await keys.press('Enter');
  await expect(page.getByTestId('proposal-form')).toBeVisible();
  // Choosing from a select with the keyboard: focus it and press ArrowDown.
  await keys.tabTo(page.getByTestId('discipline'));
  await keys.press('ArrowDown');
  await keys.tabTo(page.getByTestId('title'));
  await keys.type('Keyboard-only XAFS proposal');
  await keys.press('Tab');
  await keys.type('We follow the oxidation state of Pt single atoms on ceria under CO oxidation.');
  await keys.press('Tab');
  await keys.type('XAFS');
  await keys.press('Tab');
  await keys.type('Pt on ceria powder, 50 mg, sealed capillaries.');
  await keys.tabTo(page.getByTestId('beamline_1'));
  await keys.press('ArrowDown');
  await keys.press('ArrowDown');
  await keys.press('Tab');
  await expect(page.getByTestId('shifts_1')).toBeFocused();
  await keys.type('6');
  await keys.tabTo(page.getByTestId('submit-proposal'));
  await keys.press('Enter');
  await expect(page.getByTestId('notice')).toContainText('submitted');
  console.log(`keyboard: proposal submitted in ${keys.presses} key presses`);
  expect(keys.presses).toBeLessThan(400);
});
