// Single sign-on in the browser, on a phone's width: from the sign-in page, the institution's
// button leads to the real OpenID provider (scripts/oidc-provider.js, started by
// playwright.config.js), the person signs in there, and comes back signed in to Corridor with
// an account whose membership of the institution their provider vouches for is admitted.
import { test, expect } from '@playwright/test';
import path from 'path';

const screenshots = path.join(__dirname, '..', 'screenshots');

test.use({ viewport: { width: 390, height: 844 } });

test('sign in through the OpenID provider', async ({ page }) => {
  await page.goto('/sign-in?next=/account');
  const button = page.getByTestId('sso-campus');
  await expect(button).toHaveText('Sign in with Corridor University');
  const box = await button.boundingBox();
  expect(box!.height).toBeGreaterThanOrEqual(44);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(screenshots, 'sso-sign-in-390.png'), fullPage: true });
  await button.click();

  // At the provider: its development sign-in form takes the person's login.
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name=login]').fill('alice');
  await page.locator('input[name=password]').fill('any password will do');
  await page.locator('button[type=submit]').click();

  // Back at Corridor, signed in, on the page asked for.
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText('alice@corridor-university.example');
  await expect(page.getByTestId('account-membership')).toHaveText('member');
  await page.screenshot({ path: path.join(screenshots, 'sso-account-390.png'), fullPage: true });

  // Signing in again finds the same account (the provider remembers the person, so no form).
  await page.context().clearCookies({ name: 'corridor_session' });
  await page.goto('/sign-in?next=/account&lang=zh');
  await page.getByTestId('sso-campus').click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-membership')).toHaveText('已确认的成员');
});

test('a sign-in that comes back without its browser is refused in the reader\'s language', async ({ page }) => {
  const response = await page.goto('/sign-in/sso/campus/callback?state=forged&code=forged&lang=zh');
  expect(response!.status()).toBe(400);
  await expect(page.getByTestId('sso-failed')).toContainText('其他浏览器');
  await expect(page.getByTestId('sso-back')).toBeVisible();
});
