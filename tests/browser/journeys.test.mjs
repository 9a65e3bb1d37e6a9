// Journeys through the real pages in Debian's Chromium: a documenter records an incident in
// Dari, an analyst verifies it, the same intake without JavaScript, an admin signs in with TOTP.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, signIn, startServer, totp } from './lib.mjs';

// 2021-08-15 is 24 Asad 1400 in the Solar Hijri calendar (the fall of Kabul).
const DATE = '2021-08-15';
const HIJRI_FA = '۲۴ اسد ۱۴۰۰';
const HIJRI_EN = '24 Asad 1400';

/** The history table of an incident page: the table right after the "History" heading. */
const historyRows = (page) => page.locator('main h2 + table > tbody > tr');

/**
 * Fills and posts the new-incident form; returns the edict id that was linked. Works with and
 * without JavaScript (only native form controls and a real submit).
 */
async function recordIncident(page, { title, description }) {
  await page.locator('#f-title').fill(title);
  await page.locator('#f-date').fill(DATE);
  await page.locator('#f-province').selectOption('AF-KAB');
  await page.locator('input[name="violation_types"][value="education"]').check();
  await page.locator('#f-description').fill(description);
  const edict = page.locator('input[name="edicts"]').first();
  const edictId = await edict.getAttribute('value');
  await edict.check();
  await page.locator('form.record-form button[type="submit"]').click();
  await page.waitForURL(/\/incidents\/[^/]+$/);
  return edictId;
}

describe('journeys', () => {
  let server;
  let browser;
  const suffix = randomBytes(3).toString('hex');
  const title = `محرومیت دختران از رفتن به مکتب — آزمایش ${suffix}`;
  const description = 'دختران بالاتر از صنف ششم اجازه ندارند به مکتب بروند.\nشاهدان گفتند که دروازه مکتب بسته بود.';
  let incidentPath;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('TOTP matches the RFC 6238 SHA-1 test vector', () => {
    // Secret "12345678901234567890", T = 59 s: 94287082, of which the last six digits.
    assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000), '287082');
    assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1_111_111_109_000), '081804');
  });

  test('1. a documenter records an incident in Dari', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      // Switch to Dari with the header's language link (it points at ?lang=fa).
      await page.locator('.langs a[hreflang="fa"]').click();
      await page.waitForURL(/[?&]lang=fa/);
      assert.equal(await page.locator('html').getAttribute('lang'), 'fa');
      assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
      await page.locator('a[href="/incidents/new"]').click();
      await page.waitForURL(`${server.url}/incidents/new`);
      // The language is remembered (cookie), not only in the query.
      assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');

      const edictId = await recordIncident(page, { title, description });
      incidentPath = new URL(page.url()).pathname;

      await assert.doesNotReject(page.locator('h1', { hasText: title }).waitFor());
      const dateText = await page.locator('dl.record time').innerText();
      assert.ok(dateText.includes(DATE), `Gregorian date in "${dateText}"`);
      assert.ok(dateText.includes(HIJRI_FA), `Solar Hijri date "${HIJRI_FA}" in "${dateText}"`);
      assert.ok((await page.locator('p.description').innerText()).includes('شاهدان گفتند'));
      assert.equal(await page.locator(`a[href="/edicts#${edictId}"]`).count(), 1, 'linked edict shown');
      assert.equal(await historyRows(page).count(), 1, 'one history row');
      const row = await historyRows(page).first().innerText();
      assert.ok(row.includes('documenter'), `history row names the documenter: ${row}`);
    } finally {
      await context.close();
    }
  });

  test('2. an analyst finds the incident and verifies it', async (t) => {
    if (!incidentPath) t.skip('needs the incident from test 1');
    if (!incidentPath) return;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('analyst'));
      // Look through the table, page by page, for the title.
      let link = page.locator('table tbody a', { hasText: title });
      let pages = 1;
      for (; (await link.count()) === 0; pages++) {
        // The pager's "next" link is the one whose offset is past the current one.
        const offset = (u) => Number(new URL(u, server.url).searchParams.get('offset') ?? 0);
        const current = offset(page.url());
        const hrefs = await page.locator('nav.pager a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        const next = hrefs.find((h) => offset(h) > current);
        assert.ok(pages < 20 && next, `incident not found in /incidents (looked at ${pages} pages)`);
        await page.locator(`nav.pager a[href="${next}"]`).click();
        await page.waitForURL((u) => offset(u.href) === offset(next));
        link = page.locator('table tbody a', { hasText: title });
      }
      t.diagnostic(`found on list page ${pages}`);
      await link.click();
      await page.waitForURL(`${server.url}${incidentPath}`);
      assert.equal(await historyRows(page).count(), 1);
      assert.ok((await page.locator('dl.record time').innerText()).includes(HIJRI_EN));

      await page.locator(`a[href="${incidentPath}/edit"]`).click();
      await page.waitForURL(`${server.url}${incidentPath}/edit`);
      // The form comes back with what was recorded.
      assert.equal(await page.locator('#f-title').inputValue(), title);
      assert.ok(await page.locator('input[name="violation_types"][value="education"]').isChecked());
      await page.locator('#f-verification_status').selectOption('verified');
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(`${server.url}${incidentPath}`);

      assert.equal(await historyRows(page).count(), 2, 'history grew to two rows');
      const rows = await historyRows(page).allInnerTexts();
      assert.ok(rows.some((r) => r.includes('analyst')), `a row names the analyst: ${rows}`);
      const status = page.locator('dl.record dt', { hasText: 'Verification' }).locator('xpath=following-sibling::dd[1]');
      assert.equal((await status.innerText()).trim(), 'Verified');
    } finally {
      await context.close();
    }
  });

  test('3. the intake journey works with JavaScript disabled', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      await page.goto(`${server.url}/incidents/new?lang=fa`);
      const noJsTitle = `گزارش بدون جاوااسکریپت ${suffix}`;
      await recordIncident(page, { title: noJsTitle, description: 'ثبت شده بدون جاوااسکریپت.' });
      await assert.doesNotReject(page.locator('h1', { hasText: noJsTitle }).waitFor());
      assert.ok((await page.locator('dl.record time').innerText()).includes(HIJRI_FA));
      assert.equal(await historyRows(page).count(), 1);
    } finally {
      await context.close();
    }
  });

  test('4. an admin signs in with password and TOTP', async () => {
    const admin = server.login('admin');
    assert.ok(admin.totp, 'the demo prints the admin TOTP secret');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.url}/login`);
      await page.locator('#username').fill(admin.username);
      await page.locator('#password').fill(admin.password);
      await page.locator('form[action="/login"] button[type="submit"]').click();
      // The password alone is not enough: the TOTP step, and /incidents still refuses.
      await page.locator('#code').waitFor();
      const wrong = totp(admin.totp, Date.now() + 10 * 60_000);
      await page.locator('#code').fill(wrong === totp(admin.totp) ? '000000' : wrong);
      await page.locator('form[action="/login/totp"] button[type="submit"]').click();
      await page.locator('[role="alert"]').waitFor();
      assert.equal(new URL(page.url()).pathname, '/login/totp');
      await page.goto(`${server.url}/incidents`);
      assert.equal(new URL(page.url()).pathname, '/login', 'no access before the code');

      await page.locator('#code').fill(totp(admin.totp));
      await page.locator('form[action="/login/totp"] button[type="submit"]').click();
      await page.waitForURL(`${server.url}/incidents`);
      const logout = await page.locator('form[action="/logout"] button').innerText();
      assert.ok(logout.includes('admin'), `signed in as admin: ${logout}`);
    } finally {
      await context.close();
    }
  });
});
