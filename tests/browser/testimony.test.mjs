// A testimony recorded with JavaScript off, in Dari: the statement and the witness's name are
// sealed, shown only after the "show confidential fields" button (a logged read); a viewer
// never gets the button. axe-core on the form and on the testimony page.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, runAxe, screenshotDir, signIn, startServer } from './lib.mjs';

const serious = (r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

describe('testimony', () => {
  let server;
  let browser;
  const suffix = randomBytes(3).toString('hex');
  const statement = `دختران را از دروازهٔ مکتب برگرداندند — گواهی آزمایشی ${suffix}`;
  const witness = `شاهد آزمایشی ${suffix}`;
  let testimonyPath;
  let formPath;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    mkdirSync(screenshotDir, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('a documenter records a testimony without JavaScript, sealed until revealed', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      await page.goto(`${server.url}/incidents?lang=fa`);
      await page.locator('table a[href^="/incidents/inc_"]').first().click();
      const incidentPath = new URL(page.url()).pathname;
      await page.locator(`a[href="${incidentPath}/testimonies/new"]`).click();
      assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
      formPath = new URL(page.url()).pathname;
      // A bad date keeps what was typed and names the problem.
      await page.locator('#f-statement').fill(statement);
      await page.locator('#f-witness_name').fill(witness);
      await page.locator('#f-language').selectOption('fa');
      await page.locator('input[name="consent"][value="legal"]').check();
      await page.locator('#f-taken_on').fill('1403-13-40');
      await page.locator('form.record-form button[type="submit"]').click();
      await page.locator('div.error[role="alert"]').waitFor();
      assert.equal(await page.locator('#f-statement').inputValue(), statement);
      assert.equal(await page.locator('#f-witness_name').inputValue(), witness);
      await page.screenshot({ path: join(screenshotDir, 'testimony-form-error-fa.png'), fullPage: true });
      await page.locator('#f-taken_on').fill('2024-03-05');
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(/\/testimonies\/tst_/);
      testimonyPath = new URL(page.url()).pathname;
      // Sealed: neither the statement nor the name is on the page until asked for.
      let body = await page.locator('main').innerText();
      assert.ok(!body.includes(statement) && !body.includes(witness), body);
      await page.locator('form.reveal-form button[type="submit"]').click();
      body = await page.locator('main').innerText();
      assert.ok(body.includes(statement), body);
      assert.ok(body.includes(witness), body);
      await page.screenshot({ path: join(screenshotDir, 'testimony-revealed-fa.png'), fullPage: true });
      // Listed on its incident, without the statement.
      await page.goto(`${server.url}${incidentPath}`);
      const listed = await page.locator('ul.testimonies').innerText();
      assert.ok(listed.includes(testimonyPath.split('/').pop()), listed);
      assert.ok(!listed.includes(statement), listed);
    } finally {
      await context.close();
    }
  });

  test('axe-core finds nothing serious on the form and the revealed testimony', async () => {
    assert.ok(testimonyPath && formPath, 'the first test recorded a testimony');
    // axe needs JavaScript; the pages are the same ones.
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('documenter'));
      for (const lang of ['fa', 'en']) {
        await page.goto(`${server.url}${formPath}?lang=${lang}`);
        const form = await runAxe(page);
        assert.deepEqual(serious(form), [], JSON.stringify(serious(form), null, 1));
        await page.goto(`${server.url}${testimonyPath}?lang=${lang}`);
        await page.locator('form.reveal-form button[type="submit"]').click();
        await page.locator('dd p.description').waitFor();
        const shown = await runAxe(page);
        assert.deepEqual(serious(shown), [], JSON.stringify(serious(shown), null, 1));
      }
    } finally {
      await context.close();
    }
  });

  test('a viewer sees the testimony without its sealed fields or the button', async () => {
    assert.ok(testimonyPath, 'the first test recorded a testimony');
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      await signIn(page, server, server.login('viewer'));
      await page.goto(`${server.url}${testimonyPath}?lang=en`);
      const body = await page.locator('main').innerText();
      assert.ok(!body.includes(statement), body);
      assert.equal(await page.locator('form.reveal-form').count(), 0);
      await page.screenshot({ path: join(screenshotDir, 'testimony-viewer-en.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
