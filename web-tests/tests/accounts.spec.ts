// Joining Corridor in the browser, with real mail: a newcomer signs up naming their
// institution, reads the confirmation mail that the real SMTP server (scripts/smtp-sink,
// started by playwright.config.js beside `corridor demo --smtp`) received, opens its link,
// confirms, and signs in; sign-in before confirming is refused with a way to get a new link.
// Then the forgotten-password path: the reset mail's link sets a new password that works.
import { test, expect, Page } from '@playwright/test';
import fs from 'fs';
import path from 'path';

const screenshots = path.join(__dirname, '..', 'screenshots');
const maildir = process.env.CORRIDOR_TEST_MAILDIR as string;
const DEMO_PASSWORD = 'corridor-demo';

/** Decodes a message body by its Content-Transfer-Encoding (lettre picks one per body). */
function decodedBody(message: string): string {
  const split = message.indexOf('\r\n\r\n') >= 0 ? message.indexOf('\r\n\r\n') : message.indexOf('\n\n');
  const headers = message.slice(0, split);
  const body = message.slice(split).trim();
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (encoding === 'quoted-printable') {
    const joined = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
        bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(joined[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** Waits for a mail to `address` whose body names `path`, and answers that link. */
async function linkMailedTo(address: string, linkPath: string, after = 0): Promise<string> {
  expect(maildir, 'playwright.config.js exports the SMTP sink\'s maildir').toBeTruthy();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const directory = path.join(maildir, 'new');
    const files = fs.existsSync(directory) ? fs.readdirSync(directory).sort() : [];
    for (const file of files) {
      const full = path.join(directory, file);
      if (fs.statSync(full).mtimeMs < after) continue;
      const message = fs.readFileSync(full, 'utf8');
      if (!message.toLowerCase().includes(`delivered-to: ${address}`)) continue;
      const body = decodedBody(message);
      const match = new RegExp(`https?://\\S+${linkPath.replace(/\//g, '\\/')}\\?token=[\\w-]+`).exec(body);
      if (match) return match[0];
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail with a ${linkPath} link reached ${address} within 30 s`);
}

/** Throws unless a mail to `address` whose subject contains `subject` reached the server. */
async function linkFreeMailTo(address: string, subject: string): Promise<void> {
  const directory = path.join(maildir, 'new');
  const found = fs.readdirSync(directory).some((file) => {
    const message = fs.readFileSync(path.join(directory, file), 'utf8');
    return message.toLowerCase().includes(`delivered-to: ${address}`) && message.includes(subject);
  });
  if (!found) throw new Error(`no mail "${subject}" reached ${address} yet`);
}

/** The calendar part of a multipart message, decoded, or undefined. */
function calendarPart(message: string): string | undefined {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(message)?.[1];
  if (!boundary) return undefined;
  for (const part of message.split(`--${boundary}`)) {
    if (/content-type:\s*text\/calendar/i.test(part)) return decodedBody(part.replace(/^\r?\n/, ''));
  }
  return undefined;
}

/** Waits for the booking mail to `address` whose calendar attachment is booking `booking`. */
async function calendarMailedTo(address: string, booking: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const directory = path.join(maildir, 'new');
    for (const file of fs.readdirSync(directory)) {
      const message = fs.readFileSync(path.join(directory, file), 'utf8');
      if (!message.toLowerCase().includes(`delivered-to: ${address}`)) continue;
      const calendar = calendarPart(message);
      if (calendar?.includes(`UID:booking-${booking}@corridor`)) return calendar;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no mail with booking ${booking}'s calendar reached ${address} within 30 s`);
}

// Opens next week's calendar of each candidate instrument and tries its free hours until the
// quote offers to book; leaves the page on that quote (as booking.spec.ts does).
async function quoteAFreeHourNextWeek(page: Page, instruments: number[]): Promise<number> {
  for (const instrument of instruments) {
    await page.goto(`/instruments/${instrument}?lang=en`);
    await expect(page.getByTestId('week-calendar')).toBeVisible();
    await page.getByTestId('next-week').click();
    await expect(page).toHaveURL(/week=\d{4}-\d{2}-\d{2}/);
    const links = await page.getByTestId('free-slot').evaluateAll(
      (anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).getAttribute('href')),
    );
    for (const link of links.slice(0, 6)) {
      await page.goto(link!);
      const form = page.getByTestId('booking-form');
      await form.getByTestId('booking-purpose').fill('XPS of thin films (accounts journey)');
      await form.getByTestId('check-price').click();
      await expect(page.getByTestId('quote')).toBeVisible();
      if (await page.getByTestId('book-button').count() > 0) return instrument;
    }
  }
  throw new Error(`no bookable free hour next week on instruments ${instruments.join(', ')}`);
}

async function adminsInstitution(page: Page): Promise<number> {
  const token = await (await page.request.post('/api/v1/tokens', {
    data: { email: 'institution-admin@corridor.demo', password: DEMO_PASSWORD, name: 'accounts spec' },
  })).json();
  const me = await (await page.request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token.token}` } })).json();
  return me.home_institution_id;
}

async function institutionName(page: Page): Promise<string> {
  const token = await (await page.request.post('/api/v1/tokens', {
    data: { email: 'institution-admin@corridor.demo', password: DEMO_PASSWORD, name: 'accounts spec' },
  })).json();
  const me = await (await page.request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token.token}` } })).json();
  const institution = await (await page.request.get(`/api/v1/institutions/${me.home_institution_id}`)).json();
  return institution.name_en ?? institution.institution?.name_en;
}

test('a newcomer signs up, confirms the address from the real mail, and signs in', async ({ page }) => {
  const address = `newcomer-${Date.now()}@example.edu.cn`;
  const password = 'a long enough password';
  const institution = await institutionName(page);
  expect(institution).toBeTruthy();

  await page.goto('/sign-in?lang=en');
  await page.getByTestId('sign-up-link').click();
  await expect(page).toHaveURL(/\/sign-up/);
  await page.getByLabel('Your name').fill('Lin Xiaoyu');
  await page.getByLabel('E-mail address').fill(address);
  await page.getByLabel('Password (at least 10 characters)').fill(password);
  await page.getByLabel('Your university, institute, hospital or company').fill(institution);
  await page.getByTestId('sign-up-form-submit').click();
  await expect(page.getByTestId('notice')).toContainText(address);
  await page.screenshot({ path: path.join(screenshots, 'sign-up-check-mail.png'), fullPage: true });

  // Not yet: the password is right, the address is not confirmed.
  await page.goto('/sign-in?lang=en');
  await page.getByLabel('E-mail address').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('sign-in-unverified')).toBeVisible();

  const link = await linkMailedTo(address, '/verify-email');
  await page.goto(link.replace(/^https?:\/\/[^/]+/, ''));
  await page.getByTestId('verify-form-submit').click();
  await expect(page.getByTestId('notice')).toContainText(address);
  await page.getByRole('link', { name: 'Sign in' }).last().click();
  await expect(page.getByLabel('E-mail address')).toHaveValue(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toContainText('Lin Xiaoyu');

  await page.getByTestId('nav-account').click();
  await expect(page.getByTestId('account-email')).toHaveText(address);
  await expect(page.getByTestId('account-membership')).toContainText('waiting');
  await page.screenshot({ path: path.join(screenshots, 'my-account.png'), fullPage: true });

  // The institution's admin admits the newcomer, who is then a member.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/sign-in?lang=en');
  await page.getByLabel('E-mail address').fill('institution-admin@corridor.demo');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.goto('/institution/members?lang=en');
  const row = page.locator(`tr[data-email="${address}"]`);
  await expect(row).toBeVisible();
  await page.screenshot({ path: path.join(screenshots, 'institution-members.png'), fullPage: true });
  await row.getByTestId('admit-member').click();
  await expect(page.getByTestId('notice')).toBeVisible();
  await expect(page.locator(`tr[data-email="${address}"]`)).toHaveCount(0);
  await expect(async () => {
    await linkFreeMailTo(address, 'You are a member');
  }).toPass({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto('/sign-in?lang=en');
  await page.getByLabel('E-mail address').fill(address);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('nav-account').click();
  await expect(page.getByTestId('account-membership')).toHaveText('member');

  // As a member, the newcomer books at the institution's own rate, and the confirmation mail
  // arrives with the booking as a calendar attachment.
  test.setTimeout(180_000);
  const institutionId = await adminsInstitution(page);
  const found = await (await page.request.get(
    `/api/v1/search?institution=${institutionId}&booking_mode=instant&training_required=false&limit=20`,
  )).json();
  expect(found.total, 'the institution has instruments booked without approval').toBeGreaterThan(0);
  await quoteAFreeHourNextWeek(page, found.items.map((item: { id: number }) => item.id));
  await expect(page.getByTestId('quote-class')).toHaveText('Own institution');
  await page.getByTestId('book-button').click();
  await expect(page).toHaveURL(/\/bookings\?notice=booked&booking=\d+/);
  const booking = new URL(page.url()).searchParams.get('booking')!;
  const calendar = await calendarMailedTo(address, booking);
  expect(calendar).toContain('BEGIN:VEVENT');
  expect(calendar).toContain('BEGIN:VTIMEZONE');

  // The same link a second time does nothing and says so.
  await page.goto(link.replace(/^https?:\/\/[^/]+/, ''));
  const second = page.waitForResponse((response) => response.url().endsWith('/verify-email') && response.request().method() === 'POST');
  await page.getByTestId('verify-form-submit').click();
  expect((await second).status()).toBe(400);
  await expect(page.getByTestId('page-error')).toBeVisible();
});

test('a forgotten password is reset through the mailed link', async ({ page }) => {
  const address = `forgetful-${Date.now()}@example.com`;
  const institution = await institutionName(page);
  await page.goto('/sign-up?lang=en');
  await page.getByLabel('Your name').fill('Zhou Min');
  await page.getByLabel('E-mail address').fill(address);
  await page.getByLabel('Password (at least 10 characters)').fill('the first password');
  await page.getByLabel('Your university, institute, hospital or company').fill(institution);
  await page.getByTestId('sign-up-form-submit').click();
  await expect(page.getByTestId('notice')).toBeVisible();
  const started = Date.now() - 1000;

  await page.goto('/sign-in?lang=en');
  await page.getByTestId('forgot-password').click();
  await page.getByLabel('E-mail address').fill(address);
  await page.getByTestId('reset-request-form-submit').click();
  await expect(page.getByTestId('notice')).toContainText(address);
  const link = await linkMailedTo(address, '/reset-password/new', started);
  await page.goto(link.replace(/^https?:\/\/[^/]+/, ''));
  await page.getByLabel('New password (at least 10 characters)').fill('the second password');
  await page.getByTestId('new-password-form-submit').click();
  await expect(page.getByTestId('notice')).toBeVisible();
  await page.getByRole('link', { name: 'Sign in' }).last().click();
  await page.getByLabel('Password').fill('the second password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The reset link came by mail to the address, so it also confirmed it.
  await expect(page.getByTestId('signed-in-as')).toContainText('Zhou Min');
});
