// SPDX-License-Identifier: Apache-2.0
// quire benchmark helper (bench/portal.sh): the portal's first load in Debian's Chromium, each
// run in a fresh profile (cold cache), against the same files served statically by nginx.
//   node bench/portal-load.mjs QUIRE_URL NGINX_URL CERT_PEM SLUG USERNAME PASSWORD RUNS
// quire: from navigation to the signed-in home page (its "Welcome" heading) through the
// browser session cookie; nginx: from navigation to the same application's signed-out page
// (the same modules and stylesheet, no API behind them). Prints one JSON line: the medians
// and the bytes of JavaScript and CSS as sent (compressed), as Chromium counted them.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const [quire, nginx, certFile, slug, username, password, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 10);
const der = new crypto.X509Certificate(fs.readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
const pin = crypto.createHash('sha256').update(der).digest('base64');
const browser = await chromium.launch({
  executablePath: process.env.QUIRE_CHROMIUM || '/usr/bin/chromium',
  args: [`--ignore-certificate-errors-spki-list=${pin}`, '--disable-background-networking', '--disable-component-update'],
});

// Signs in once through the pages, as a person would; the session cookie is what later
// fresh profiles start with.
const first = await browser.newContext();
const p0 = await first.newPage();
await p0.goto(`${quire}/`);
await p0.getByRole('button', { name: 'Sign in' }).click();
await p0.getByLabel('Organization').fill(slug);
await p0.getByLabel('Username').fill(username);
await p0.getByLabel('Password').fill(password);
await p0.getByRole('button', { name: 'Sign in' }).click();
await p0.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
const state = await first.storageState();
await first.close();

// One cold load: ms from navigation start until ready() holds in the page, and the bytes
// of JavaScript and CSS the server sent.
async function load(url, ready, storageState) {
  const ctx = await browser.newContext(storageState ? { storageState } : {});
  const page = await ctx.newPage();
  const seen = [];
  page.on('response', (r) => seen.push(r));
  if (process.env.BENCH_DEBUG) {
    page.on('console', (m) => console.error(`${url} console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && console.error(`${url} ${r.status()} ${r.url()}`));
  }
  await page.goto(url, { waitUntil: 'commit' });
  const ms = await (await page.waitForFunction(ready, null, { polling: 'raf', timeout: 30000 })).jsonValue();
  let bytes = 0;
  for (const r of seen)
    if (/javascript|css/.test(r.headers()['content-type'] || '')) bytes += (await r.request().sizes()).responseBodySize;
  await ctx.close();
  return { ms, bytes };
}
const welcome = () => [...document.querySelectorAll('h1')].some((h) => /Welcome/.test(h.textContent)) && performance.now();
const signedOut = () => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Sign in') && performance.now();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const q = [];
const n = [];
let qBytes = 0;
let nBytes = 0;
for (let i = 0; i < runs; i++) { // alternated, so that both see the same machine
  const a = await load(`${quire}/`, welcome, state);
  const b = await load(`${nginx}/`, signedOut, null);
  q.push(a.ms);
  n.push(b.ms);
  qBytes = a.bytes;
  nBytes = b.bytes;
}
await browser.close();
console.log(JSON.stringify({ quire_ms: median(q), nginx_ms: median(n), quire_bytes: qBytes, nginx_bytes: nBytes, runs }));
