// Every page in English, Dari and Pashto: axe-core finds no serious or critical violation,
// full-page screenshots for people to look at, the web font really draws Dari and Pashto, and
// nothing is loaded from outside the server.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  launchBrowser, makePng, repoRoot, runAxe, screenshotDir, sha256Hex, signIn, startServer, tempFile, withAxe,
} from './lib.mjs';

const LANGS = ['en', 'fa', 'ps'];
const DIR = { en: 'ltr', fa: 'rtl', ps: 'rtl' };
const VIEWPORT = { width: 1280, height: 900 };

// [slug, path, needs a signed-in member]; the incident page's path is filled in by `before`.
const PAGES = [
  ['index', '/', false],
  ['edicts', '/edicts', false],
  ['declaration', '/declaration', false],
  ['login', '/login', false],
  ['incidents', '/incidents', true],
  ['incidents-new', '/incidents/new', true],
  ['incident', null, true],
  ['duplicates', null, true],
  ['figures', '/figures', false],
  ['search', '/search', true],
  ['analysis', '/analysis', true],
];
// Axe in English and Dari (Pashto shares Dari's layout and direction); screenshots in both,
// and in Pashto for the pages with the most Pashto text of their own.
const AXE_LANGS = ['en', 'fa'];
const SCREENSHOTS = {
  en: ['index', 'edicts', 'login', 'incidents-new', 'incident', 'figures', 'search', 'analysis'],
  fa: ['index', 'edicts', 'login', 'incidents-new', 'incident', 'figures', 'search', 'analysis', 'duplicates'],
  ps: ['index', 'incidents-new', 'incident'],
};

const WEB_FONT = 'Vazirmatn (web font)';
// The elements whose text the font check looks at.
const TEXT = 'main h1, main h2, main p, main label, main th, main td, main dt, main dd, header nav a, .langs a, footer p';

/** Visible text nodes with Arabic-script letters whose element is not set in Vazirmatn. */
function arabicScriptNotInVazirmatn(page) {
  return page.evaluate(() => {
    const out = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !el.checkVisibility() || !/[\u0600-\u06FF]/.test(n.data)) continue;
      const family = getComputedStyle(el).fontFamily;
      if (!family.startsWith('Vazirmatn') && !family.startsWith('"Vazirmatn"')) {
        out.add(`${el.tagName.toLowerCase()}${el.className ? `.${el.className}` : ''}: ${family}`);
      }
    }
    return [...out];
  });
}

/** Chromium's own account of which fonts drew the text under `selector`. */
async function fontsFor(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector });
    const used = new Map();
    // The first 60 elements are enough to meet every kind of text on the page.
    for (const nodeId of nodeIds.slice(0, 60)) {
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      for (const f of fonts) {
        const key = `${f.familyName}${f.isCustomFont ? ' (web font)' : ''}`;
        used.set(key, (used.get(key) ?? 0) + f.glyphCount);
      }
    }
    return used;
  } finally {
    await cdp.detach();
  }
}

// The fonts that drew an element once Chromium has shaped its text. Right after a web font
// loads, Chromium may report no font at all for text it has not laid out again yet (the face is
// swapped in on a later frame): wait for frames until it names one, a bounded number of times.
// An empty answer is "not drawn yet", never "drawn by another font", so this hides no failure.
async function drawnFonts(page, selector) {
  for (let frame = 0; frame < 30; frame++) {
    const fonts = await fontsFor(page, selector);
    if (fonts.size > 0) return fonts;
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  return fontsFor(page, selector);
}

describe('pages', () => {
  let server;
  let browser;
  let anon;
  let member;

  const contextFor = (needsMember) => (needsMember ? member : anon);
  const urlOf = (path, lang) => `${server.url}${path}?lang=${lang}`;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    anon = await browser.newContext({ viewport: VIEWPORT });
    member = await browser.newContext({ viewport: VIEWPORT });
    const page = await member.newPage();
    await signIn(page, server, server.login('documenter'));
    // An incident with Dari text, recorded through the form, for the incident page.
    await page.goto(`${server.url}/incidents/new?lang=fa`);
    await page.locator('#f-title').fill('بسته شدن آرایشگاه‌های زنانه در مزار شریف');
    await page.locator('#f-date').fill('2023-07-04');
    await page.locator('#f-province').selectOption('AF-BAL');
    await page.locator('input[name="violation_types"][value="employment"]').check();
    await page.locator('#f-description').fill('صاحبان آرایشگاه‌ها گفتند که یک ماه مهلت داشتند. (gawah browser test)');
    await page.locator('input[name="edicts"]').first().check();
    await page.locator('form.record-form button[type="submit"]').click();
    await page.waitForURL(/\/incidents\/[^/]+$/);
    PAGES.find((p) => p[0] === 'incident')[1] = new URL(page.url()).pathname;
    PAGES.find((p) => p[0] === 'duplicates')[1] = `${new URL(page.url()).pathname}/duplicates`;
    // A photo, so that the page shows evidence and its intake in the history.
    const png = makePng(40, 30, (x, y) => [200 - x, 120 + y, 90]);
    await page.locator('form.evidence-form input[type="file"]').setInputFiles(tempFile('عکس آرایشگاه.png', png));
    await page.locator('form.evidence-form button[type="submit"]').click();
    await page.locator('table.evidence tbody tr', { hasText: sha256Hex(png) }).waitFor();
    await page.close();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('5a. the axe rig finds violations where there are some', async () => {
    const page = await anon.newPage();
    try {
      await page.setContent('<!doctype html><html><body><img src="data:,"><input><a href="#"></a></body></html>');
      const ids = (await runAxe(page)).violations.map((v) => v.id);
      for (const id of ['image-alt', 'label', 'html-has-lang', 'link-name']) assert.ok(ids.includes(id), `${id} in ${ids}`);
    } finally {
      await page.close();
    }
  });

  test('5. axe-core: no serious or critical violation', async (t) => {
    const report = [];
    const bad = [];
    let checked = 0;
    // One tab per kind of visitor, reused from page to page: axe-core is loaded at every
    // navigation by an init script (see withAxe).
    const contexts = [
      await withAxe(await browser.newContext({ viewport: VIEWPORT })),
      await withAxe(await browser.newContext({ viewport: VIEWPORT, storageState: await member.storageState() })),
    ];
    const tabs = { false: await contexts[0].newPage(), true: await contexts[1].newPage() };
    for (const lang of AXE_LANGS) {
      for (const [slug, path, needsMember] of PAGES) {
        const page = tabs[needsMember];
        const resp = await page.goto(urlOf(path, lang));
        assert.equal(resp.status(), 200, `${path} ${lang}`);
        const { violations, incomplete } = await runAxe(page);
        report.push({ lang, page: slug, path, violations, incomplete });
        checked++;
        for (const v of incomplete) {
          t.diagnostic(`axe ${lang} ${path}: needs a person to check: ${v.id} on ${v.nodes.length} nodes (${v.nodes[0]?.summary})`);
        }
        for (const v of violations) {
          t.diagnostic(`axe ${lang} ${path}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} nodes)`);
          for (const n of v.nodes.slice(0, 5)) t.diagnostic(`    ${n.target}  ${n.html.replace(/\s+/g, ' ')}`);
          if (v.impact === 'serious' || v.impact === 'critical') bad.push(`${lang} ${path}: ${v.id} (${v.impact})`);
        }
      }
    }
    for (const c of contexts) await c.close();
    mkdirSync(join(repoRoot, 'artifacts'), { recursive: true });
    writeFileSync(join(repoRoot, 'artifacts', 'axe-report.json'), JSON.stringify(report, null, 2));
    t.diagnostic(`axe checked ${checked} pages; ${report.reduce((n, r) => n + r.violations.length, 0)} violations of any impact`);
    assert.deepEqual(bad, [], 'serious or critical accessibility violations (details above, and in artifacts/axe-report.json)');
  });

  test('6. screenshots, RTL, no overflow, and the web font draws Dari and Pashto', async (t) => {
    mkdirSync(screenshotDir, { recursive: true });
    const problems = [];
    const tabs = { false: await anon.newPage(), true: await member.newPage() };
    for (const lang of LANGS) {
      for (const [slug, path, needsMember] of PAGES.filter((p) => SCREENSHOTS[lang].includes(p[0]))) {
        const page = tabs[needsMember];
        const resp = await page.goto(urlOf(path, lang));
        assert.equal(resp.status(), 200, `${path} ${lang}`);
        await page.evaluate(() => document.fonts.ready);
        const html = page.locator('html');
        assert.equal(await html.getAttribute('lang'), lang);
        assert.equal(await html.getAttribute('dir'), DIR[lang], `${path} ${lang} dir`);
        const file = join(screenshotDir, `${lang}-${slug}.png`);
        await page.screenshot({ path: file, fullPage: true });
        t.diagnostic(`screenshot ${file}`);

        // Nothing wider than the window (a horizontal scrollbar means broken layout).
        const { scroll, client } = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          client: document.documentElement.clientWidth,
        }));
        if (scroll > client) problems.push(`${lang} ${path}: page is ${scroll}px wide in a ${client}px window`);

        if (lang === 'en') continue;
        // Chromium's own account of the fonts that drew the text: Vazirmatn, the web font.
        // Another (system) font means a letter Vazirmatn lacks, or CSS that does not ask for it.
        const fonts = await drawnFonts(page, TEXT);
        if (!fonts.has(WEB_FONT)) problems.push(`${lang} ${path}: Vazirmatn drew nothing (${[...fonts.keys()]})`);
        const others = [...fonts].filter(([name]) => name !== WEB_FONT);
        if (others.length) t.diagnostic(`${lang} ${path}: other fonts used: ${others.map(([n, c]) => `${n}: ${c} glyphs`).join(', ')}`);
        const outside = await arabicScriptNotInVazirmatn(page);
        if (outside.length) problems.push(`${lang} ${path}: Arabic-script text not set in Vazirmatn: ${outside}`);
      }
    }
    await tabs.false.close();
    await tabs.true.close();
    assert.deepEqual(problems, []);
  });

  test('6c. Dari text on an English page is drawn by Vazirmatn too', async () => {
    const page = await member.newPage();
    try {
      await page.goto(urlOf(PAGES.find((p) => p[0] === 'incident')[1], 'en'));
      await page.evaluate(() => document.fonts.ready);
      const fonts = await drawnFonts(page, 'main h1 bdi');
      assert.deepEqual([...fonts.keys()], [WEB_FONT]);
    } finally {
      await page.close();
    }
  });

  test('6b. every Pashto and Dari letter has a glyph in the web font', async () => {
    const page = await anon.newPage();
    try {
      await page.goto(urlOf('/', 'ps'));
      await page.evaluate(() => document.fonts.ready);
      // Pashto's own letters, Dari's, and Persian digits, one element per character.
      const letters = 'ټځڅډړږښګڼېۍئپچژکگیۀ۰۱۲۳۴۵۶۷۸۹';
      await page.evaluate((chars) => {
        const box = document.createElement('div');
        box.id = 'glyph-probe';
        box.lang = 'ps';
        for (const c of chars) {
          const s = document.createElement('span');
          s.textContent = c;
          s.dataset.c = c;
          box.append(s);
        }
        document.querySelector('main').append(box);
      }, letters);
      // With unicode-range the face loads on first use: wait for it to cover these letters.
      await page.evaluate((chars) => document.fonts.load('16px Vazirmatn', chars), letters);
      const missing = [];
      for (const c of letters) {
        const fonts = await drawnFonts(page, `#glyph-probe span[data-c="${c}"]`);
        if (!fonts.has(WEB_FONT) || fonts.size !== 1) missing.push(`${c} U+${c.codePointAt(0).toString(16).toUpperCase()}: ${[...fonts.keys()]}`);
      }
      assert.deepEqual(missing, [], 'letters not drawn by Vazirmatn');
    } finally {
      await page.close();
    }
  });

  test('7. pages load nothing from outside the server, and no CSP errors', async (t) => {
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    const requests = [];
    const consoleErrors = [];
    const documents = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.request().resourceType() === 'document') documents.push(r);
    });
    try {
      for (const lang of LANGS) {
        for (const [, path, needsMember] of PAGES) {
          if (!needsMember) await page.goto(urlOf(path, lang));
        }
      }
      await signIn(page, server, server.login('analyst'));
      for (const lang of LANGS) {
        for (const [, path, needsMember] of PAGES) {
          if (needsMember) await page.goto(urlOf(path, lang));
        }
      }
      await page.goto(urlOf('/edicts', 'en'));
      await page.locator('#domain').selectOption('education');
      await page.locator('form.filter button[type="submit"]').click();
      await page.waitForURL(/domain=education/);
      await page.evaluate(() => document.fonts.ready);

      assert.ok(requests.length > 20, `requests recorded: ${requests.length}`);
      assert.ok(requests.some((u) => u.endsWith('/assets/app.css')), 'the stylesheet was requested');
      const outside = requests.filter((u) => new URL(u).origin !== server.origin);
      assert.deepEqual(outside, [], 'requests to other origins');
      for (const r of documents) {
        if (r.status() >= 300 && r.status() < 400) continue;
        assert.ok((await r.allHeaders())['content-security-policy'], `CSP header on ${r.url()}`);
      }
      for (const e of consoleErrors) t.diagnostic(`console error: ${e}`);
      const csp = consoleErrors.filter((e) => /Content[- ]Security[- ]Policy|CSP/i.test(e));
      assert.deepEqual(csp, [], 'console errors about the CSP');
    } finally {
      await context.close();
    }
  });
});
