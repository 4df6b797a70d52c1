// Browser tests of the access settings against a secured Tracery
// (--auth-tokens-file --multi-tenancy), started by tests/e2e/run:
// TRACERY_SECURE_URL, a query token TRACERY_SECURE_TOKEN of tenant
// TRACERY_SECURE_TENANT, whose service TRACERY_SECURE_SERVICE has
// TRACERY_SECURE_TRACES traces; TRACERY_SECURE_OTHER_SERVICE belongs to another
// tenant. Skipped when those are not set (e.g. npm run e2e:fixture).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const env = process.env;
const BASE = (env.TRACERY_SECURE_URL || '').replace(/\/$/, '');
const TOKEN = env.TRACERY_SECURE_TOKEN;
const TENANT = env.TRACERY_SECURE_TENANT;
const SERVICE = env.TRACERY_SECURE_SERVICE;
const OTHER = env.TRACERY_SECURE_OTHER_SERVICE;
const TRACES = Number(env.TRACERY_SECURE_TRACES || 0);
const skip = !(BASE && TOKEN && TENANT && SERVICE && OTHER && TRACES >= 2) && 'no secured tracery (TRACERY_SECURE_*)';
const ARTIFACTS = env.ARTIFACTS_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

let browser;
let page;
const requestUrls = [];
const consoleText = [];
const pageErrors = [];
const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });

before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('request', (r) => requestUrls.push(r.url()));
  page.on('console', (m) => consoleText.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});
after(async () => {
  await browser?.close();
});

async function serviceOptions() {
  return page.locator('#sf-service option').allTextContents();
}

async function saveSettings(token, tenant) {
  if (!(await page.locator('[data-test=access-dialog]').isVisible())) await page.click('[data-test=access-gear]');
  await page.fill('#access-token', token);
  await page.fill('#access-tenant', tenant);
  await page.click('[data-test=access-save]');
  await page.waitForSelector('[data-test=access-dialog]', { state: 'hidden' });
}

test('without a token the UI says it needs one instead of showing an empty page', { skip }, async () => {
  await page.goto(`${BASE}/search`);
  const box = page.locator('[data-test=auth-error]');
  await box.waitFor();
  assert.match(await box.innerText(), /requires a token/);
  assert.match(await box.innerText(), /HTTP 401/);
  assert.deepEqual(await serviceOptions(), ['All services'], 'no service list leaks without a token');
  assert.equal(await page.locator('[data-test=tenant-badge]').isVisible(), false);
  // A search URL opened directly shows the same message, not "no traces".
  await page.goto(`${BASE}/search?service=${SERVICE}`);
  await page.locator('[data-test=auth-error]').waitFor();
  assert.equal(await page.locator('.result').count(), 0);
  await shot('access-no-token');
});

test('with the token and tenant set in the panel the tenant’s traces appear', { skip }, async () => {
  await page.click('[data-test=open-access-settings]');
  await page.locator('[data-test=access-dialog]').waitFor();
  assert.match(await page.locator('[data-test=access-dialog]').innerText(), /stored in this browser/);
  assert.equal(await page.getAttribute('#access-token', 'type'), 'password', 'the token is not shown on screen');
  await shot('access-settings-panel');
  await saveSettings(TOKEN, TENANT);
  // Saving re-runs the search on the page with the new credentials.
  await page.waitForSelector('.result');
  assert.equal(await page.locator('[data-test=auth-error]').count(), 0);
  assert.equal(await page.locator('[data-test=tenant-badge]').innerText(), `tenant: ${TENANT}`);
  assert.equal(await page.locator('.result').count(), Math.min(TRACES, 20));
  const services = await serviceOptions();
  assert.ok(services.includes(SERVICE), `the tenant's service is listed: ${services}`);
  assert.ok(!services.includes(OTHER), "another tenant's service is not listed");
  await shot('access-tenant-traces');
  // The settings survive a reload (localStorage) and open a trace.
  await page.reload();
  await page.waitForSelector('.result');
  await page.locator('.result .result-name').first().click();
  await page.waitForSelector('.tl-row');
  assert.equal(await page.locator('[data-test=tenant-badge]').innerText(), `tenant: ${TENANT}`);
});

test('Load more fetches the next page with the token and hides on the last page', { skip }, async () => {
  await page.goto(`${BASE}/search?service=${SERVICE}&limit=${TRACES - 1}`);
  await page.waitForSelector('.result');
  assert.equal(await page.locator('.result').count(), TRACES - 1);
  await page.click('[data-test=load-more]');
  await page.waitForFunction((n) => document.querySelectorAll('.result').length === n, TRACES);
  assert.equal(await page.locator('svg.scatter circle.dot').count(), TRACES, 'the scatter plot includes the new page');
  assert.equal(await page.locator('[data-test=load-more]').isVisible(), false, 'no Load more on the last page');
  assert.match(await page.locator('[data-test=load-more-note]').innerText(), new RegExp(`All ${TRACES} matching traces shown`));
});

test('a token used for another tenant is refused with a clear message', { skip }, async () => {
  await saveSettings(TOKEN, 'globex');
  const box = page.locator('[data-test=auth-error]');
  await box.waitFor();
  assert.match(await box.innerText(), /Access denied/);
  assert.match(await box.innerText(), /HTTP 403/);
  assert.equal(await page.locator('.result').count(), 0);
  await shot('access-wrong-tenant');
  // Forget removes both from the browser.
  await page.click('[data-test=access-gear]');
  await page.click('[data-test=access-clear]');
  await page.locator('[data-test=auth-error]').waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('tracery.access')), null);
  assert.equal(await page.locator('[data-test=tenant-badge]').isVisible(), false);
});

test('the token never appears in a URL or the console', { skip }, () => {
  assert.ok(requestUrls.length > 0);
  for (const u of requestUrls) assert.ok(!u.includes(TOKEN), `token in request URL ${u}`);
  for (const t of consoleText) assert.ok(!t.includes(TOKEN), 'token in the console');
  assert.deepEqual(pageErrors, []);
});
