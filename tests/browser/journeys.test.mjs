// Journeys through the real pages in Debian's Chromium: a documenter records an incident in
// Dari and attaches a photo (resumable upload with JavaScript), an analyst verifies it, uploads
// survive a dropped connection and a reload, the same intake and upload without JavaScript, an
// admin signs in with TOTP.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  launchBrowser, makePng, recordUploads, screenshotDir, sha256Hex, signIn, startServer, tempFile, totp,
} from './lib.mjs';

// 2021-08-15 is 24 Asad 1400 in the Solar Hijri calendar (the fall of Kabul).
const DATE = '2021-08-15';
const HIJRI_FA = '۲۴ اسد ۱۴۰۰';
const HIJRI_EN = '24 Asad 1400';

/** The history table of an incident page. */
const historyRows = (page) => page.locator('table.history > tbody > tr');
/** The evidence table's row of the file with this SHA-256. */
const evidenceRow = (page, sha) => page.locator('table.evidence > tbody > tr', { hasText: sha });
/** The upload form of an incident page. */
const uploadForm = (page) => page.locator('form.evidence-form');
// The upload script's chunk size (data-chunk-size), to make a file of two chunks.
const CHUNK = 8 * 1024 * 1024;

/** A small photo: a gradient, different for every seed. */
const photo = (seed) => makePng(48, 32, (x, y) => [(x * 5 + seed) & 255, (y * 7) & 255, (seed * 31) & 255]);

/** Bytes that are not a pattern, `n` of them. */
function noise(n, seed) {
  const out = Buffer.alloc(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

/**
 * Chooses the file at `path` in the incident page's upload form and submits it; resolves once
 * the incident page shows the item (the row with its SHA-256), after the page has reloaded.
 */
async function uploadThroughForm(page, path, sha) {
  await uploadForm(page).locator('input[type="file"]').setInputFiles(path);
  await uploadForm(page).locator('button[type="submit"]').click();
  await evidenceRow(page, sha).waitFor();
}

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
      // The history's time is readable, with the Solar Hijri date in Persian digits.
      const time = await historyRows(page).first().locator('td').first().innerText();
      assert.match(time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \([۰-۹]+ \S+ [۰-۹]{4}\)$/, `history time: ${time}`);

      // A photo, through the resumable upload of the page's script.
      const png = photo(1);
      const uploads = recordUploads(page);
      await uploadThroughForm(page, tempFile('عکس دروازه مکتب.png', png), sha256Hex(png));
      assert.ok(page.url().endsWith(`${incidentPath}#evidence`), `back on the incident: ${page.url()}`);
      assert.deepEqual(uploads.map((u) => u.method), ['POST', 'PATCH'], JSON.stringify(uploads));
      assert.equal(uploads[0].path, '/api/v1/uploads');
      const item = (await evidenceRow(page, sha256Hex(png)).locator('code').first().innerText()).trim();
      assert.match(item, /^item_/);
      assert.equal(await uploadForm(page).locator('.upload-status').isHidden(), true, 'a fresh form after the upload');

      // Then another edict is linked, and the history tells all of it, in Dari.
      await page.locator(`a[href="${incidentPath}/edit"]`).click();
      await page.waitForURL(`${server.url}${incidentPath}/edit`);
      const second = page.locator(`input[name="edicts"]:not([value="${edictId}"])`).first();
      const secondId = await second.getAttribute('value');
      await second.check();
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(`${server.url}${incidentPath}`);
      assert.equal(await page.locator(`a[href="/edicts#${secondId}"]`).count(), 1, 'second edict linked');
      const rows = await historyRows(page).allInnerTexts();
      const intake = rows.filter((r) => r.includes('دریافت') && r.includes(item));
      assert.equal(intake.length, 1, `the upload's intake in the history: ${rows.join(' | ')}`);
      assert.ok(rows[0].includes('ایجاد'), `first the creation: ${rows[0]}`);
      assert.ok(rows.at(-1).includes('تغییر'), `last the change: ${rows.at(-1)}`);
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
      const before = await historyRows(page).count();
      assert.ok(before >= 3, `creation, upload and change in the history (${before} rows)`);
      assert.ok((await page.locator('dl.record time').innerText()).includes(HIJRI_EN));
      // The photo is listed; analysts do not add evidence.
      assert.equal(await evidenceRow(page, sha256Hex(photo(1))).count(), 1, 'the photo is listed');
      assert.equal(await uploadForm(page).count(), 0, 'no upload form for an analyst');

      await page.locator(`a[href="${incidentPath}/edit"]`).click();
      await page.waitForURL(`${server.url}${incidentPath}/edit`);
      // The form comes back with what was recorded.
      assert.equal(await page.locator('#f-title').inputValue(), title);
      assert.ok(await page.locator('input[name="violation_types"][value="education"]').isChecked());
      await page.locator('#f-verification_status').selectOption('verified');
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(`${server.url}${incidentPath}`);

      const rows = await historyRows(page).allInnerTexts();
      assert.ok(rows.length > before, `history grew: ${rows.length} rows`);
      assert.ok(rows.at(-1).includes('analyst') && rows.at(-1).includes('Changed'), `the last row is the analyst's change: ${rows.at(-1)}`);
      const status = page.locator('dl.record dt', { hasText: 'Verification' }).locator('xpath=following-sibling::dd[1]');
      assert.equal((await status.innerText()).trim(), 'Verified');
    } finally {
      await context.close();
    }
  });

  test('2b. an upload goes on after a dropped connection and after a reload', async (t) => {
    if (!incidentPath) t.skip('needs the incident from test 1');
    if (!incidentPath) return;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      await page.goto(`${server.url}${incidentPath}?lang=fa`);
      const isPatch = (r) => r.request().method() === 'PATCH';

      // Two chunks; the second PATCH fails once on the network: the script asks the server
      // where it stands (HEAD) and sends the second chunk again.
      const data = noise(CHUNK + 300_000, 21);
      let patches = 0;
      await page.route('**/api/v1/uploads/*', (route) => {
        if (isPatch(route) && ++patches === 2) return route.abort('connectionreset');
        return route.continue();
      });
      let uploads = recordUploads(page);
      const stalled = uploadForm(page).locator('[role="status"]');
      const done = uploadThroughForm(page, tempFile('video-part.bin', data), sha256Hex(data));
      // The page says it is trying again (in Dari: the language is remembered from test 1).
      await stalled.filter({ hasText: 'دوباره تلاش' }).waitFor();
      // For people to look at: the form while the upload waits to go on.
      mkdirSync(screenshotDir, { recursive: true });
      await uploadForm(page).screenshot({ path: join(screenshotDir, 'fa-upload-retrying.png') });
      assert.ok(await uploadForm(page).locator('progress').isVisible(), 'progress is shown');
      await done;
      await page.unroute('**/api/v1/uploads/*');
      const seen = uploads.map((u) => `${u.method} ${u.offset ?? ''}`.trim());
      assert.deepEqual(seen, ['POST', 'PATCH 0', `PATCH ${CHUNK}`, 'HEAD', `PATCH ${CHUNK}`]);
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'the finished upload is forgotten');

      // The page is reloaded while the second chunk is on its way; choosing the same file
      // again continues from what the server acknowledged.
      const more = noise(CHUNK + 5_000, 22);
      const file = tempFile('audio-part.bin', more);
      let held;
      let heldNow;
      const secondChunk = new Promise((resolve) => { heldNow = resolve; });
      await page.route('**/api/v1/uploads/*', (route) => {
        if (isPatch(route) && route.request().headers()['upload-offset'] !== '0') {
          held = route;
          heldNow();
          return undefined; // never answered: the reload cuts it off
        }
        return route.continue();
      });
      uploads = recordUploads(page);
      await uploadForm(page).locator('input[type="file"]').setInputFiles(file);
      await uploadForm(page).locator('button[type="submit"]').click();
      await secondChunk;
      await page.reload();
      await held.abort().catch(() => {});
      await page.unroute('**/api/v1/uploads/*');
      assert.equal(await page.evaluate(() => localStorage.length), 1, 'the upload is remembered');
      const cut = uploads.length;
      await uploadThroughForm(page, file, sha256Hex(more));
      const after = uploads.slice(cut).map((u) => `${u.method} ${u.offset ?? ''}`.trim());
      assert.deepEqual(after, ['HEAD', `PATCH ${CHUNK}`], 'resumed, not started again');
      assert.equal(await evidenceRow(page, sha256Hex(more)).count(), 1);
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
      // The same upload form, as a plain multipart post and its redirect.
      const path = new URL(page.url()).pathname;
      const png = photo(3);
      const uploads = recordUploads(page);
      await uploadThroughForm(page, tempFile('عکس بدون جاوااسکریپت.png', png), sha256Hex(png));
      assert.equal(new URL(page.url()).pathname, path);
      assert.deepEqual(uploads.map((u) => `${u.method} ${u.path}`), [`POST ${path}/evidence`]);
      const rows = await historyRows(page).allInnerTexts();
      assert.equal(rows.length, 2, rows.join(' | '));
      assert.ok(rows[1].includes('دریافت'), rows[1]);
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
