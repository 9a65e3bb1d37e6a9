// Redacted working copies in Debian's Chromium: a documenter opens "Make a redacted copy" for
// a photo, sees the image (served sandboxed by the download route), and makes the copy with
// JavaScript off (the number inputs and a real form post) and on (a rectangle drawn with the
// mouse fills the inputs). Each time the incident page lists the copy next to its original.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, makePng, sha256Hex, signIn, startServer, tempFile } from './lib.mjs';

/** A photo-like gradient. */
const photo = (seed) => makePng(60, 40, (x, y) => [(x * 4 + seed) & 255, (y * 6) & 255, 200]);

/** Records an incident through the form and lands on its page; returns its path. */
async function recordIncident(page, server, title) {
  await page.goto(`${server.url}/incidents/new`);
  await page.locator('#f-title').fill(title);
  await page.locator('#f-date').fill('2022-03-23');
  await page.locator('#f-province').selectOption('AF-KAB');
  await page.locator('input[name="violation_types"][value="education"]').check();
  await page.locator('#f-description').fill('Girls were turned away at the school gate.');
  await page.locator('form.record-form button[type="submit"]').click();
  await page.waitForURL(/\/incidents\/[^/]+$/);
  return new URL(page.url()).pathname;
}

/** Uploads a photo with the plain form; resolves on the incident page showing it. */
async function uploadPhoto(page, png) {
  const form = page.locator('form.evidence-form');
  await form.locator('input[type="file"]').setInputFiles(tempFile('photo.png', png));
  await form.locator('button[type="submit"]').click();
  await page.locator('table.evidence > tbody > tr', { hasText: sha256Hex(png) }).waitFor();
}

/** The image of the redaction page has loaded and has its natural size. */
async function imageSize(page) {
  const img = page.locator('#redact-image');
  await img.waitFor();
  await page.waitForFunction(() => document.getElementById('redact-image')?.complete);
  return img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
}

describe('redacted copies', () => {
  let server;
  let browser;
  const suffix = randomBytes(3).toString('hex');

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const javaScriptEnabled of [false, true]) {
    test(`a documenter makes a redacted copy (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
      const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      try {
        await signIn(page, server, server.login('documenter'));
        const incident = await recordIncident(page, server, `Redaction ${javaScriptEnabled} ${suffix}`);
        await uploadPhoto(page, photo(javaScriptEnabled ? 9 : 3));
        await page.getByRole('link', { name: 'Make a redacted copy' }).click();
        await page.waitForURL(/\/evidence\/[^/]+\/redact$/);
        const original = page.url().split('/').at(-2);
        // Chromium shows the original, sandboxed and typed as the PNG it is.
        assert.deepEqual(await imageSize(page), [60, 40]);
        const row = page.locator('fieldset.redact-row').first();
        if (javaScriptEnabled) {
          // Draw from (10, 5) to (30, 25) in image pixels, at the image's displayed scale.
          const box = await page.locator('#redact-image').boundingBox();
          const at = (x, y) => [box.x + (x * box.width) / 60, box.y + (y * box.height) / 40];
          await page.mouse.move(...at(10, 5));
          await page.mouse.down();
          await page.mouse.move(...at(20, 15), { steps: 4 });
          await page.mouse.move(...at(30, 25), { steps: 4 });
          await page.mouse.up();
          await page.locator('.redact-box').first().waitFor();
          const values = await row.locator('input').evaluateAll((els) => els.map((e) => Number(e.value)));
          assert.ok(Math.abs(values[0] - 10) <= 1 && Math.abs(values[1] - 5) <= 1, `${values}`);
          assert.ok(Math.abs(values[2] - 20) <= 1 && Math.abs(values[3] - 20) <= 1, `${values}`);
        } else {
          // More rows, by resubmitting: the first row stays filled.
          await row.locator('input[name="x"]').fill('10');
          await row.locator('input[name="y"]').fill('5');
          await row.locator('input[name="w"]').fill('20');
          await row.locator('input[name="h"]').fill('20');
          await page.getByRole('button', { name: 'More rows' }).click();
          await page.waitForLoadState();
          assert.equal(await page.locator('fieldset.redact-row').count(), 6);
          assert.equal(await page.locator('fieldset.redact-row').first().locator('input[name="x"]').inputValue(), '10');
        }
        await page.getByRole('button', { name: 'Make the copy' }).click();
        await page.waitForURL(`${server.url}${incident}#evidence`);
        const copyRow = page.locator('table.evidence tr.derivative', { hasText: 'Redacted copy of' });
        await copyRow.waitFor();
        assert.ok((await copyRow.innerText()).includes(original));
      } finally {
        await context.close();
      }
    });
  }
});
