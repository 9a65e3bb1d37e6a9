// Cross-site scripting in a real browser: a documenter records incidents and testimonies whose
// every text field is a script payload, through the forms (with an error first, so the form
// comes back with what was typed), and a witness submits one anonymously; then every page that
// shows them is opened in Chromium with JavaScript on. No dialog may open, no payload may set
// its global, no element or attribute may come from a payload, no inline script may exist and
// the CSP must not have had to refuse anything: the pages were safe before the policy.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, signIn, startServer } from './lib.mjs';

const MARKER = 'xssgw';
// Each sets window.__xssgw (or opens a dialog) if it ever runs.
const PAYLOADS = [
  `<script>window.__xssgw=1;alert("${MARKER}0")</script>`,
  `<img src=x ${MARKER}1 onerror="window.__xssgw=1;alert(1)">`,
  `"><svg ${MARKER}2 onload="window.__xssgw=1;alert(1)">`,
  `' ${MARKER}3 autofocus onfocus='window.__xssgw=1;alert(1)`,
  `" ${MARKER}4 autofocus onfocus="window.__xssgw=1;alert(1)`,
  `</textarea><script ${MARKER}5>window.__xssgw=1;alert(1)</script>`,
  `</title><script ${MARKER}6>window.__xssgw=1</script>`,
  `<a href="javascript:window.__xssgw=1" ${MARKER}7>x</a>`,
  `{{7*7}} \${7*7} { $org } ${MARKER}8`,
  `\u202E${MARKER}9 gpj.exe\u202C`,
  `<iframe ${MARKER}10 srcdoc="<script>parent.__xssgw=1</script>">`,
  `<svg><animate ${MARKER}11 onbegin="window.__xssgw=1" attributeName=x dur=1s>`,
];

/** What a page shows of an attack: fired globals, foreign markup, inline scripts. */
function inspect(page) {
  return page.evaluate((marker) => {
    const found = [];
    if (window.__xssgw) found.push('a payload ran (window.__xssgw)');
    for (const el of document.querySelectorAll('*')) {
      if (el.tagName.toLowerCase().includes(marker)) found.push(`element <${el.tagName}>`);
      for (const a of el.attributes) {
        if (a.name.includes(marker) || a.name.startsWith('on')) found.push(`attribute ${a.name} on <${el.tagName}>`);
        if (['href', 'src', 'action', 'formaction'].includes(a.name) && /^\s*javascript:/i.test(a.value)) {
          found.push(`javascript: URL in ${a.name}`);
        }
      }
    }
    for (const s of document.querySelectorAll('script')) {
      if (!s.src || new URL(s.src).origin !== location.origin || s.textContent.trim()) found.push('a script not of this site');
    }
    for (const tag of ['iframe', 'object', 'embed', 'base']) {
      if (document.querySelector(tag)) found.push(`<${tag}>`);
    }
    return found;
  }, MARKER);
}

describe('payloads in every text field stay text in Chromium', () => {
  let server;
  let browser;
  let context;
  let page;
  const dialogs = [];
  const cspErrors = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('dialog', async (d) => {
      dialogs.push(`${d.type()}: ${d.message()} at ${page.url()}`);
      await d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy|Refused to/i.test(m.text())) cspErrors.push(`${m.text()} at ${page.url()}`);
    });
    page.on('pageerror', (e) => cspErrors.push(`pageerror: ${e.message} at ${page.url()}`));
    await signIn(page, server, server.login('documenter'));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  /** The page is clean; `shown` (if given) is in its text or its form values. */
  async function check(where, shown) {
    // Let focus, load and animation handlers have their chance to run.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
    assert.deepEqual(await inspect(page), [], where);
    assert.deepEqual(dialogs, [], where);
    assert.deepEqual(cspErrors, [], `${where}: the CSP had to refuse something`);
    if (shown !== undefined) {
      const text = await page.evaluate(() => document.body.innerText
        + [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\n'));
      assert.ok(text.includes(shown), `${where}: the value is not shown`);
    }
  }

  test('incidents and testimonies recorded through the forms', async () => {
    for (const [n, p] of PAYLOADS.entries()) {
      await page.goto(`${server.url}/incidents/new`);
      for (const f of ['#f-title', '#f-ref', '#f-description', '#f-exact_location', 'input[name="perpetrators"] >> nth=0']) {
        await page.locator(f).fill(p);
      }
      await page.locator('#f-date').fill(`not a date ${n}`);
      await page.locator('#f-province').selectOption('AF-KAB');
      await page.locator('input[name="violation_types"][value="education"]').check();
      await page.locator('form.record-form button[type="submit"]').click();
      await page.locator('.error[role="alert"]').waitFor();
      await check(`payload ${n}: the form with errors`, p);
      await page.locator('#f-date').fill('2022-03-23');
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(/\/incidents\/inc_[^/]+$/);
      const incident = page.url();
      await check(`payload ${n}: the incident`, p);
      await page.locator('form.reveal-form button').click();
      await page.waitForURL(/\/reveal$/);
      await check(`payload ${n}: the incident revealed`, p);
      for (const path of ['/edit', '/duplicates']) {
        await page.goto(`${incident}${path}`);
        await check(`payload ${n}: ${path}`, p);
      }
      await page.goto(`${incident}/testimonies/new`);
      await page.locator('#f-statement').fill(p);
      await page.locator('#f-witness_name').fill(p);
      await page.locator('#f-witness_contact').fill(p);
      await page.locator('form.record-form button[type="submit"]').click();
      await page.waitForURL(/\/testimonies\/[^/]+$/);
      await check(`payload ${n}: the testimony`);
      await page.locator('form.reveal-form button').click();
      await page.waitForURL(/\/reveal$/);
      await check(`payload ${n}: the testimony revealed`, p);
      await page.goto(`${server.url}/search?q=${encodeURIComponent(p)}`);
      await check(`payload ${n}: the search for it`, p);
    }
    for (const path of ['/incidents', '/search?limit=100', '/analysis']) {
      await page.goto(`${server.url}${path}`);
      await check(path);
    }
  });

  test('an anonymous submission, opened by a member', async () => {
    const witness = await browser.newContext();
    const w = await witness.newPage();
    w.on('dialog', async (d) => {
      dialogs.push(`witness ${d.type()}: ${d.message()}`);
      await d.dismiss();
    });
    try {
      for (const p of PAYLOADS.slice(0, 6)) {
        await w.goto(`${server.url}/submit`);
        const org = w.locator('fieldset#f-org input[type="radio"]');
        if (await org.count()) await org.first().check();
        await w.locator('#f-text').fill(p);
        await w.locator('#f-when').fill(p);
        await w.locator('#f-contact').fill(p);
        await w.locator('form.intake-form button[type="submit"]').click();
        await w.locator('#receipt-code').waitFor();
      }
    } finally {
      await witness.close();
    }
    await page.goto(`${server.url}/intake`);
    const count = await page.locator('form[action^="/intake/"][action$="/open"]').count();
    assert.ok(count >= 6, `${count} submissions listed`);
    for (let i = 0; i < count; i++) {
      await page.goto(`${server.url}/intake`);
      await page.locator('form[action^="/intake/"][action$="/open"] button').nth(i).click();
      await page.waitForURL(/\/open$/);
      await check(`submission ${i} opened`);
    }
  });
});
