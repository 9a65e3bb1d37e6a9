// Anonymous intake in Debian's Chromium with JavaScript disabled (as in Tor Browser's safest
// mode): a witness reports at /submit in English and in Dari, keeps the receipt code, checks
// the status with it and adds a part; a demo documenter then opens the report and reads it.
// axe-core finds no serious or critical violation on /submit, and screenshots are taken.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, runAxe, screenshotDir, signIn, startServer } from './lib.mjs';

const DEMO_ORG = 'Demo Documentation Network';

/** A fresh browser context as a witness in the safest mode: no JavaScript. */
const safestContext = (browser) =>
  browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });

/**
 * Fills and sends the /submit form already on `page`; returns the receipt code shown.
 * Only native form controls and a real submit, as a browser without JavaScript has.
 */
async function report(page, { text, when, province, contact }) {
  await page.getByRole('radio', { name: DEMO_ORG }).check();
  await page.locator('#f-text').fill(text);
  await page.locator('#f-when').fill(when);
  await page.locator('#f-province').selectOption(province);
  await page.locator('#f-contact').fill(contact);
  await page.locator('input[name="consent"][value="legal"]').check();
  await page.locator('form[action="/submit"] button[type="submit"]').click();
  const code = (await page.locator('#receipt-code').innerText()).trim();
  assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/);
  return code;
}

/** Checks the status with `code` and adds `more`; returns the parts count shown after. */
async function checkAndAdd(page, server, code, lang, more) {
  await page.goto(`${server.url}/submit/status?lang=${lang}`);
  // Typed as a person might: lower case, spaces for dashes.
  await page.locator('#f-code').fill(code.toLowerCase().replaceAll('-', ' '));
  await page.locator('form[action="/submit/status"] button[type="submit"]').click();
  assert.equal(await page.locator('#submission-parts').innerText(), '1');
  await page.locator('form[action="/submit/status/add"] textarea').fill(more);
  await page.locator('form[action="/submit/status/add"] button[type="submit"]').click();
  await page.locator('p.notice[role="status"]').waitFor();
  return page.locator('#submission-parts').innerText();
}

describe('anonymous intake without JavaScript', () => {
  let server;
  let browser;
  const suffix = randomBytes(3).toString('hex');
  const reports = {
    en: {
      text: `Girls were sent home from the school in Herat ${suffix}`,
      more: `The headmistress was questioned the next day ${suffix}`,
    },
    fa: {
      text: `دختران را از مکتب در هرات به خانه فرستادند ${suffix}`,
      more: `فردای آن روز مدیر مکتب را بازجویی کردند ${suffix}`,
    },
  };

  before(async () => {
    mkdirSync(screenshotDir, { recursive: true });
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const lang of ['en', 'fa']) {
    test(`a witness reports in ${lang}, checks the status and adds to it`, async () => {
      const context = await safestContext(browser);
      const page = await context.newPage();
      const requests = [];
      page.on('request', (r) => requests.push(new URL(r.url()).origin));
      try {
        await page.goto(`${server.url}/submit?lang=${lang}`);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'fa' ? 'rtl' : 'ltr');
        assert.equal(await page.locator('script').count(), 0);
        await page.screenshot({ path: join(screenshotDir, `${lang}-submit.png`), fullPage: true });
        const code = await report(page, {
          text: reports[lang].text,
          when: lang === 'fa' ? 'بهار گذشته' : 'last spring',
          province: 'AF-HER',
          contact: '',
        });
        await page.screenshot({ path: join(screenshotDir, `${lang}-submit-receipt.png`), fullPage: true });
        assert.equal(await checkAndAdd(page, server, code, lang, reports[lang].more), '2');
        await page.screenshot({ path: join(screenshotDir, `${lang}-submit-status.png`), fullPage: true });
        // A wrong code is told apart from nothing else.
        await page.goto(`${server.url}/submit/status?lang=${lang}`);
        await page.locator('#f-code').fill('AAAA-BBBB');
        await page.locator('form[action="/submit/status"] button[type="submit"]').click();
        await page.locator('div.error[role="alert"]').waitFor();
        assert.ok(requests.every((o) => o === server.origin), requests.join(' '));
      } finally {
        await context.close();
      }
    });
  }

  test('a demo documenter opens the reports and reads them', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      await page.goto(`${server.url}/intake?lang=en`);
      const rows = page.locator('table tbody tr');
      assert.equal(await rows.count(), 2);
      // The list shows no content.
      assert.ok(!(await page.content()).includes(suffix));
      for (let i = 0; i < 2; i++) {
        await page.goto(`${server.url}/intake?lang=en`);
        await rows.nth(i).getByRole('button').click();
        await page.locator('section.submission-part').nth(1).waitFor();
        const text = await page.locator('main').innerText();
        const lang = text.includes(reports.en.text) ? 'en' : 'fa';
        assert.ok(text.includes(reports[lang].text), text);
        assert.ok(text.includes(reports[lang].more), text);
        assert.ok(text.includes('Her'), text); // Herat, as the demo's province names spell it
        assert.ok(text.includes(lang === 'fa' ? 'Dari' : 'English'), text); // the form's language
      }
      await page.screenshot({ path: join(screenshotDir, 'en-intake-open.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });

  test('axe-core finds no serious or critical violation on the intake pages', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      const failures = [];
      for (const lang of ['en', 'fa', 'ps']) {
        for (const path of ['/submit', '/submit/status']) {
          await page.goto(`${server.url}${path}?lang=${lang}`);
          const { violations } = await runAxe(page);
          for (const v of violations) {
            const line = `${lang} ${path}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`;
            console.log(line);
            if (v.impact === 'serious' || v.impact === 'critical') failures.push(line);
          }
        }
      }
      assert.deepEqual(failures, []);
    } finally {
      await context.close();
    }
  });
});
