// Shared helpers for the browser tests: the demo server, the demo logins, TOTP codes,
// Debian's Chromium, signing in, and axe-core.

import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (cwd of the server). */
export const repoRoot = resolve(here, '..', '..');
/** The binary built by the cargo step of scripts/test.sh. */
export const gawahBin = join(repoRoot, 'target', 'debug', 'gawah');
/** Where screenshots go (gitignored). */
export const screenshotDir = join(repoRoot, 'artifacts', 'screenshots');

const CHROMIUM = process.env.GAWAH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Parses what `gawah serve --demo` prints before it is ready:
 *   `  <role>  username <u>  password <p>` and, after the admin's, `TOTP secret <BASE32> (...)`.
 * Returns { byUsername: Map, byRole: Map } of { role, username, password, totp? }.
 */
export function parseLogins(lines) {
  const byUsername = new Map();
  const byRole = new Map();
  let last = null;
  for (const line of lines) {
    const login = /^\s+(\S+)\s+username\s+(\S+)\s+password\s+(\S+)/.exec(line);
    if (login) {
      last = { role: login[1], username: login[2], password: login[3] };
      byUsername.set(last.username, last);
      if (!byRole.has(last.role)) byRole.set(last.role, last);
      continue;
    }
    const totp = /^\s+TOTP secret\s+([A-Z2-7]+=*)/.exec(line);
    if (totp && last) last.totp = totp[1];
  }
  return { byUsername, byRole };
}

/**
 * Starts `target/debug/gawah serve --demo --listen 127.0.0.1:0` from the repository root and
 * resolves once it prints `gawah is serving on http://ADDR/` (the readiness signal).
 */
export function startServer() {
  if (!existsSync(gawahBin)) {
    throw new Error(`${gawahBin} is missing: build it first (cargo build -p gawah)`);
  }
  const child = spawn(gawahBin, ['serve', '--demo', '--listen', '127.0.0.1:0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GAWAH_LOG: process.env.GAWAH_LOG ?? 'warn' },
  });
  const stderr = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderr.push(d);
    if (process.env.GAWAH_TEST_VERBOSE) process.stderr.write(d);
  });
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  return new Promise((res, rej) => {
    const lines = [];
    const rl = createInterface({ input: child.stdout });
    let ready = false;
    rl.on('line', (line) => {
      if (ready) return;
      lines.push(line);
      const m = /^gawah is serving on (http:\/\/[^/\s]+)\/$/.exec(line);
      if (!m) return;
      ready = true;
      const logins = parseLogins(lines);
      res({
        url: m[1],
        origin: new URL(m[1]).origin,
        logins,
        login(username) {
          const l = logins.byUsername.get(username);
          if (!l) throw new Error(`no demo login ${username} in:\n${lines.join('\n')}`);
          return l;
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            // Graceful shutdown waits for open connections; close the browser first.
            const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(t);
          }
        },
      });
    });
    child.once('error', rej);
    exited.then(({ code, signal }) => {
      if (!ready) {
        rej(new Error(`gawah serve exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}\n${stderr.join('')}`));
      }
    });
  });
}

/** Decodes RFC 4648 base32. */
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits. */
export function totp(secretBase32, timeMillis = Date.now()) {
  const counter = BigInt(Math.floor(timeMillis / 1000 / 30));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 1_000_000).padStart(6, '0');
}

/** Debian's Chromium; Playwright gives every launch a fresh temporary user-data-dir. */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Signs in through the login form (password, then a TOTP code if asked for one). */
export async function signIn(page, server, login) {
  await page.goto(`${server.url}/login`);
  await page.locator('#username').fill(login.username);
  await page.locator('#password').fill(login.password);
  await page.locator('form[action="/login"] button[type="submit"]').click();
  if (login.totp) {
    await page.locator('#code').waitFor();
    await page.locator('#code').fill(totp(login.totp));
    await page.locator('form[action="/login/totp"] button[type="submit"]').click();
  }
  await page.waitForURL(`${server.url}/incidents`);
}

const require = createRequire(import.meta.url);
/** axe-core's source, from node_modules (never from a CDN). */
export const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Makes every page of `context` start with axe-core loaded. The script is added over the
 * DevTools protocol, so the page's CSP (script-src 'self') stays in force; it is also much
 * faster than evaluating the 600 kB source again after every navigation.
 */
export async function withAxe(context) {
  await context.addInitScript({ content: axeSource });
  return context;
}

/**
 * Runs axe-core in the page (loading it first if the context was not made `withAxe`); returns
 * { violations, incomplete } (incomplete: what axe could not decide, for a person to check).
 */
export async function runAxe(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations', 'incomplete'] });
    const brief = (v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        html: n.html.slice(0, 200),
        summary: n.failureSummary ?? n.any.map((c) => c.message).join('; '),
      })),
    });
    return { violations: r.violations.map(brief), incomplete: r.incomplete.map(brief) };
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A real PNG (8-bit RGB, no interlace) of `width` × `height` pixels, coloured by
 * `pixel(x, y) → [r, g, b]`: small test photos, made here rather than checked in.
 */
export function makePng(width, height, pixel) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Lowercase hex SHA-256, as the incident page shows it. */
export const sha256Hex = (buf) => createHash('sha256').update(buf).digest('hex');

/**
 * Writes `data` to a new temporary file named `name` and returns its path: a file on disk has
 * a stable modification time, which the upload script's resume key includes.
 */
export function tempFile(name, data) {
  const dir = mkdtempSync(join(tmpdir(), 'gawah-browser-'));
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

/** Records the upload requests of `page` (method, path, Upload-Offset) from now on. */
export function recordUploads(page) {
  const seen = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/v1/uploads') || url.pathname.endsWith('/evidence')) {
      seen.push({ method: r.method(), path: url.pathname, offset: r.headers()['upload-offset'] });
    }
  });
  return seen;
}
