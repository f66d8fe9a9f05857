// Every page, as every kind of visitor sees it, checked for what issue 31 asks of all pages:
// axe-core finds no serious or critical violation (WCAG 2.1 A and AA rules) in either
// language; `lang` names the page's language; no figure is printed as a raw run of digits;
// at a phone's width (390 px) nothing scrolls sideways and every control is at least 44 px
// tall; a phone-width screenshot of each page lands in web-tests/screenshots/phone/.
//
// The pages are found by crawling, not listed: from a few starting points each role follows
// the site's own links and checks one page of every route it meets (ids are folded, so
// /instruments/17 and /instruments/18 are the same route). A page added later is checked as
// soon as some page links to it. A route is checked once signed out and once signed in (the
// first role that meets it), since signing in changes what a page holds (an instrument's page
// gains its booking form, the layout its account links).
import { test, expect, Page, Browser } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'path';
import fs from 'fs';

const screenshots = path.join(__dirname, '..', 'screenshots', 'phone');
const DEMO_PASSWORD = 'corridor-demo';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const MAX_PAGES_PER_ROLE = 30;

// Who visits, in order: routes already checked for an earlier role are not checked again.
const ROLES: { name: string; email: string | null; start: string[] }[] = [
  { name: 'visitor', email: null, start: ['/', '/search?q=XPS', '/search?q=mass+spectrometer&group=none', '/search?q=zzzzqqq', '/no-such-page', '/problems/not-found'] },
  { name: 'researcher', email: 'researcher@corridor.demo', start: ['/bookings', '/account/tokens', '/account/sessions', '/facility/proposals', '/search?q=XPS'] },
  { name: 'company', email: 'company@corridor.demo', start: ['/vouchers', '/bookings'] },
  { name: 'manager', email: 'manager@corridor.demo', start: ['/manage'] },
  { name: 'user-office', email: 'user-office@corridor.demo', start: ['/facility/office'] },
  { name: 'reviewer', email: 'reviewer@corridor.demo', start: ['/facility/reviews'] },
  { name: 'voucher-office', email: 'vouchers-sh@corridor.demo', start: ['/vouchers/office'] },
  { name: 'institution-admin', email: 'institution-admin@corridor.demo', start: ['/manage', '/institution/catalogue', '/institution/members', '/institution/people'] },
  { name: 'admin', email: 'admin@corridor.demo', start: ['/analytics/vouchers', '/analytics/facility', '/analytics/reach', '/admin/institutions'] },
];

// A route's shape: the path with every number folded, so one page per route is checked.
function routeOf(url: string): string {
  const { pathname } = new URL(url, 'http://x');
  return pathname.replace(/\/\d+(?=\/|$)/g, '/{id}');
}

// Links worth following: the site's own pages, not the API, files, or actions.
function followable(href: string): boolean {
  if (!href.startsWith('/') || href.startsWith('//')) return false;
  const { pathname } = new URL(href, 'http://x');
  return !/^\/(api|static|healthz|favicon)/.test(pathname)
    && !pathname.endsWith('.csv') && !pathname.endsWith('.ics') && pathname !== '/sign-out'
    // A single sign-on button leaves the site for the identity provider's pages.
    && !pathname.startsWith('/sign-in/sso/');
}

function withLanguage(url: string, lang: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.set('lang', lang);
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}

async function signIn(page: Page, email: string) {
  await page.goto('/sign-in?lang=en');
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-as')).toBeVisible();
}

type Finding = { route: string; url: string; what: string };

// Figures printed as a raw run of five or more digits ("1017000 bookings", "¥488682653.47"),
// outside ids (#123456), codes in brackets and times. Grouped digits are what we want.
async function rawFigures(page: Page): Promise<string[]> {
  const text = await page.locator('main').innerText();
  const found = text.match(/(?<![\d#,.:/A-Za-z-])\d{5,}(?:\.\d+)?(?![\d/:-]|[A-Za-z])/g) ?? [];
  return found;
}

async function checkAxe(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(' | ')}`);
}

// At a phone's width: the page does not scroll sideways, and every control (button, field,
// select, summary, and the links of navigation, facets, tabs and paging) is at least 44 px
// tall; a checkbox or radio button counts by its label.
async function checkPhone(page: Page): Promise<{ problems: string[]; targets: number }> {
  return await page.evaluate(() => {
    const problems: string[] = [];
    const root = document.scrollingElement!;
    if (root.scrollWidth > root.clientWidth + 1) {
      const wide = Array.from(document.querySelectorAll('main *'))
        .filter((element) => element.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 3)
        .map((element) => `${element.tagName.toLowerCase()}.${(element as HTMLElement).className}`);
      problems.push(`scrolls sideways: ${root.scrollWidth} px > ${root.clientWidth} px (${wide.join(', ')})`);
    }
    const selector = 'button, input:not([type=hidden]), select, textarea, summary, header nav a, .facets a, .tabs a, .pager a, a.button';
    let targets = 0;
    for (const element of Array.from(document.querySelectorAll(selector)) as HTMLElement[]) {
      const style = getComputedStyle(element);
      if (style.display === 'none' || style.visibility === 'hidden' || element.offsetParent === null) continue;
      let box = element.getBoundingClientRect();
      const type = element.getAttribute('type');
      if (type === 'checkbox' || type === 'radio') {
        const label = element.closest('label') ?? (element.id ? document.querySelector(`label[for="${element.id}"]`) : null);
        if (label) box = label.getBoundingClientRect();
      }
      targets += 1;
      if (box.height < 43.5) {
        const name = (element.textContent || element.getAttribute('name') || element.getAttribute('aria-label') || '').trim().slice(0, 30);
        problems.push(`tap target ${Math.round(box.height)} px tall: <${element.tagName.toLowerCase()}> "${name}"`);
      }
    }
    return { problems: problems.slice(0, 8), targets };
  });
}

async function crawl(browser: Browser, role: typeof ROLES[number], checkedRoutes: Set<string>, findings: Finding[], counts: { pages: number; visits: number; targets: number }) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  if (role.email) await signIn(page, role.email);
  const queue = [...role.start];
  let checkedHere = 0;
  while (queue.length > 0 && checkedHere < MAX_PAGES_PER_ROLE) {
    const url = queue.shift()!;
    const route = routeOf(url);
    const key = `${role.email ? 'signed in' : 'signed out'} ${route}`;
    if (checkedRoutes.has(key)) continue;
    checkedRoutes.add(key);
    checkedHere += 1;
    counts.pages += 1;
    for (const lang of ['en', 'zh']) {
      await page.setViewportSize(DESKTOP);
      await page.goto(withLanguage(url, lang));
      counts.visits += 1;
      const note = (what: string) => findings.push({ route, url: `${url} [${lang}, ${role.name}]`, what });
      const htmlLang = await page.locator('html').getAttribute('lang');
      if (htmlLang !== lang) note(`<html lang="${htmlLang}">`);
      for (const violation of await checkAxe(page)) note(`axe ${violation}`);
      for (const figure of await rawFigures(page)) note(`raw figure "${figure}"`);
      if (lang === 'en') {
        for (const href of await page.locator('a[href]').evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''))) {
          const hrefKey = `${role.email ? 'signed in' : 'signed out'} ${routeOf(href)}`;
          if (followable(href) && !checkedRoutes.has(hrefKey) && !queue.some((queued) => routeOf(queued) === routeOf(href))) {
            queue.push(href);
          }
        }
      }
      await page.setViewportSize(PHONE);
      const phone = await checkPhone(page);
      counts.targets += phone.targets;
      for (const problem of phone.problems) note(`phone: ${problem}`);
      const name = `${role.name}${route.replace(/[^a-z0-9]+/gi, '-')}-${lang}`.replace(/-+/g, '-');
      await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: false });
    }
  }
  await context.close();
}

test('every page: axe-core clean in both languages, lang set, figures grouped, usable at 390 px', async ({ browser }) => {
  test.setTimeout(900_000);
  fs.mkdirSync(screenshots, { recursive: true });
  const checkedRoutes = new Set<string>();
  const findings: Finding[] = [];
  const counts = { pages: 0, visits: 0, targets: 0 };
  for (const role of ROLES) {
    await crawl(browser, role, checkedRoutes, findings, counts);
  }
  console.log(`pages for everyone: ${counts.pages} routes checked (${counts.visits} page views, both languages), `
    + `${counts.targets} tap targets measured at 390 px; routes: ${[...checkedRoutes].sort().join(' ')}`);
  const report = findings.map((finding) => `${finding.url}: ${finding.what}`).join('\n');
  expect(findings.length, report).toBe(0);
  // The crawl must really reach the site: the signed-in consoles included.
  for (const route of ['signed out /', 'signed out /search', 'signed out /instruments/{id}', 'signed in /instruments/{id}',
    'signed in /bookings', 'signed in /manage', 'signed in /facility/office', 'signed in /vouchers/office', 'signed out /analytics']) {
    expect(checkedRoutes, `the crawl reached ${route}`).toContain(route);
  }
});
