// SPDX-License-Identifier: Apache-2.0
// quire: regenerates the guides' screenshots and PDFs (`make guides`; docs/guides/README.md).
// Starts a quired of this build (build/, or QUIRE_BIN_DIR) on a fresh SQLite database, seeds a
// small believable company through the API (a dealer, its customer with people, groups,
// devices, prints, a scan), signs in as each role in Debian's Chromium (playwright-core) and
// photographs the real pages at 1280 px (docs/guides/screenshots/*.png, shrunk by pngquant
// when it is installed); then renders docs/guides/*.md (scripts/guide-render.mjs) and prints
// each guide to docs/guides/quire-*-guide.pdf with Chromium. The generated files are
// committed, so that `make run` serves the guides on a machine without Chromium; run
// `make` afterwards to build them into quired.
//   node scripts/guides.mjs [--pdf-only]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { editions, headings, renderGuide, slug } from './guide-render.mjs';
import { assertStatus, createOrg, createUser, REPO_ROOT, startServer, tokenOf } from '../tests/e2e/lib/server.js';
import { portalSignIn, startBrowser } from '../tests/e2e/lib/browser.js';
import { makePdf } from '../tests/e2e/lib/pdf.js';
import { textPng } from '../tests/e2e/lib/scan.js';

const DIR = path.join(REPO_ROOT, 'docs', 'guides');
const SHOTS = path.join(DIR, 'screenshots');
const WIDTH = 1280;
const JPEG = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-guides-')); // the PDFs' copies (JPEG: small PDFs)
const CHROMIUM = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';

function log(msg) {
  console.log(`guides: ${msg}`);
}

// ---- the company in the pictures ----

async function seed(srv) {
  const root = await srv.rootToken();
  const api = async (token, method, url, body, status, what) => {
    const r = await srv.request(method, url, { token, body });
    assertStatus(r, status, what);
    return r.json;
  };
  const dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', name: 'Northwind Office Systems',
    slug: 'northwind', admin: { username: 'dana.dealer', first_name: 'Dana', last_name: 'Dealer' } });
  await api(root, 'PATCH', `/api/v1/orgs/${dealer.org.id}`,
    { license: { devices: 20, users: 500, ocr_pages_per_month: 5000, storage_mb: 5000 } }, 200, 'dealer license');
  const acme = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', name: 'Acme Print GmbH',
    slug: 'acme', admin: { username: 'it.admin', first_name: 'Iris', last_name: 'Admin' },
    extra: { license: { devices: 5, users: 100, ocr_pages_per_month: 1000, storage_mb: 1000, features: ['print', 'scan'] } } });
  await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', name: 'Bergmann Steuerberatung',
    slug: 'bergmann', extra: { license: { devices: 2, users: 20, ocr_pages_per_month: 0, storage_mb: 100 } } });
  const t = acme.token;
  const o = acme.org;
  const person = (username, first, last, role = 'customer_user') =>
    createUser(srv, t, o, { role, username, extra: { first_name: first, last_name: last, email: `${username}@acme.example` } });
  const ada = await person('ada.lovelace', 'Ada', 'Lovelace');
  const grace = await person('grace.hopper', 'Grace', 'Hopper');
  const alan = await person('alan.turing', 'Alan', 'Turing');
  const paula = await person('paula.manager', 'Paula', 'Manager', 'print_manager');
  const finance = await api(t, 'POST', `/api/v1/orgs/${o.id}/groups`, { name: 'Finance' }, 201, 'group');
  const marketing = await api(t, 'POST', `/api/v1/orgs/${o.id}/groups`, { name: 'Marketing' }, 201, 'group');
  for (const [g, u] of [[finance, ada], [finance, alan], [marketing, grace]])
    await api(t, 'PUT', `/api/v1/groups/${g.id}/members/${u.id}`, undefined, 204, 'member');
  await api(t, 'PUT', `/api/v1/users/${ada.id}/quota`, { monthly_pages: 500 }, 200, 'quota');
  const mfp = await api(t, 'POST', `/api/v1/orgs/${o.id}/devices`,
    { serial: 'ACME-MFP-1F', model: 'Office MFP 4500', hostname: 'mfp-1f.acme.example' }, 201, 'device');
  await api(t, 'POST', `/api/v1/orgs/${o.id}/devices`,
    { serial: 'ACME-MFP-2F', model: 'Office MFP 4500', hostname: 'mfp-2f.acme.example' }, 201, 'device');
  const dt = await srv.request('POST', '/oauth/token', { rawBody: 'grant_type=client_credentials',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'Basic ' + Buffer.from(`${mfp.client_id}:${mfp.client_secret}`).toString('base64') } });
  assertStatus(dt, 200, 'device token');
  const panelOf = async (u) => (await api(dt.json.access_token, 'POST', '/api/v1/device/login',
    { method: 'password', username: u.username, password: u.password }, 200, 'panel login')).access_token;
  // Prints released at the MFP (reports, logs, quota), and one job still held.
  const jobOf = async (u, name, pages, copies, color) => {
    const r = await srv.request('POST', `/api/v1/jobs?name=${encodeURIComponent(name)}&copies=${copies}&color=${color}&duplex=false`,
      { token: await tokenOf(srv, u), rawBody: makePdf({ pages, color }), headers: { 'Content-Type': 'application/pdf' } });
    assertStatus(r, 201, 'submit');
    return r.json;
  };
  for (const [u, name, pages, copies, color] of [[ada, 'Invoice 2026-114.pdf', 2, 1, false], [ada, 'Board slides.pdf', 6, 2, true],
    [grace, 'Campaign flyer.pdf', 1, 20, true], [alan, 'Budget.pdf', 4, 1, false]]) {
    const j = await jobOf(u, name, pages, copies, color);
    const panel = await panelOf(u);
    await api(panel, 'POST', `/api/v1/jobs/${j.id}/release`, undefined, 200, 'release');
    await api(panel, 'POST', `/api/v1/jobs/${j.id}/result`, { status: 'printed', pages, copies, color, duplex: false }, 200, 'printed');
  }
  await jobOf(ada, 'Quarterly report.pdf', 3, 1, false);
  // A scan in Ada's download area.
  const wf = await api(t, 'POST', `/api/v1/orgs/${o.id}/workflows`, { name: 'Scan to my downloads', format: 'pdf', steps: { ocr: false } }, 201, 'workflow');
  const panel = await panelOf(ada);
  const scan = await api(panel, 'POST', '/api/v1/scans', { workflow_id: wf.id, name: 'Signed contract' }, 201, 'scan');
  const up = await srv.request('POST', `/api/v1/scans/${scan.id}/files`,
    { token: panel, rawBody: textPng(['Service contract', 'Signed by both parties']), headers: { 'Content-Type': 'image/png' } });
  assertStatus(up, 201, 'scan upload');
  await api(panel, 'POST', `/api/v1/scans/${scan.id}/submit`, undefined, 202, 'scan submit');
  return { dealer: dealer.admin, admin: acme.admin, ada, paula, rootUser: { slug: srv.root.slug, username: srv.root.username, password: srv.root.password } };
}

// ---- the pictures ----

/** The JPEG copy's file name of a screenshot (de/home -> de-home). */
function jpegName(name) {
  return name.replace(/\.png$/, '').replace(/^screenshots\//, '').replace(/\//g, '-');
}

async function shoot(page, name, { height = 800 } = {}) {
  await page.setViewportSize({ width: WIDTH, height });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.waitForTimeout(150); // transitions settle
  fs.mkdirSync(path.dirname(path.join(SHOTS, `${name}.png`)), { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  await page.screenshot({ path: path.join(JPEG, `${jpegName(name)}.jpg`), type: 'jpeg', quality: 82 });
  log(`screenshot ${name}`);
}

async function open(page, base, hash, heading) {
  await page.goto(`${base}/#/${hash}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForLoadState('networkidle');
}

async function screenshots(srv, people) {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const base = `https://localhost:${srv.port}`;
  const browser = await startBrowser(srv);
  try {
    const newPage = async () => {
      const p = await browser.newPage({ javaScript: true });
      await p.setViewportSize({ width: WIDTH, height: 800 });
      return p;
    };
    // Signing in.
    let p = await newPage();
    await p.goto(`${base}/`);
    await p.getByRole('button', { name: 'Sign in' }).waitFor();
    await shoot(p, 'signed-out', { height: 560 });
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByLabel('Organization').fill(people.ada.slug);
    await p.getByLabel('Username').fill(people.ada.username);
    await shoot(p, 'signin', { height: 720 });

    // The user's pages.
    await portalSignIn(p, base, people.ada);
    await p.getByText(/pages used of/).waitFor();
    await shoot(p, 'home');
    await open(p, base, 'jobs', 'My print jobs');
    await p.getByText('Quarterly report').first().waitFor();
    await shoot(p, 'jobs', { height: 900 });
    await open(p, base, 'scans', 'My scans and downloads');
    await p.locator('tr', { hasText: 'Scan to my downloads' }).getByText('Done').waitFor({ timeout: 120000 });
    await shoot(p, 'scans');
    await open(p, base, 'pin', 'My PIN and ID cards');
    await p.getByRole('button', { name: 'Generate a PIN' }).click();
    await p.getByText('Your PIN was saved.').waitFor();
    await shoot(p, 'pin');
    await open(p, base, 'password', 'Change password');
    await shoot(p, 'password');
    await open(p, base, 'log', 'My log');
    await shoot(p, 'log');
    await open(p, base, 'guides', 'Guides');
    await p.locator('article.guide h2').first().waitFor();
    await shoot(p, 'guides');

    // The same in German, for the German user guide (screenshots/de/).
    await p.getByLabel('Language').selectOption('de');
    for (const [hash, heading, name] of [['', /Willkommen/, 'home'], ['jobs', 'Meine Druckaufträge', 'jobs'],
      ['scans', 'Meine Scans und Downloads', 'scans'], ['pin', 'Meine PIN und Ausweiskarten', 'pin'],
      ['password', 'Passwort ändern', 'password'], ['log', 'Mein Protokoll', 'log'], ['guides', 'Anleitungen', 'guides']]) {
      await open(p, base, hash, heading);
      if (name === 'guides') await p.locator('article.guide h2').first().waitFor();
      await shoot(p, `de/${name}`, { height: name === 'jobs' ? 900 : 800 });
    }
    await p.getByRole('button', { name: 'Abmelden' }).click();
    await p.getByRole('button', { name: 'Anmelden' }).waitFor();
    await shoot(p, 'de/signed-out', { height: 560 });

    // The customer admin's pages.
    p = await newPage();
    await portalSignIn(p, base, people.admin);
    for (const [hash, heading, name, height] of [
      ['users', 'Users', 'users', 900], ['groups', 'Groups', 'groups', 800], ['devices', 'Devices', 'devices', 800],
      ['policies', /Print policies/, 'policies', 1000], ['signin-settings', 'Sign-in settings', 'signin-settings', 800],
      ['capture', /Capture/, 'capture', 1000], ['api-keys', 'API keys', 'api-keys', 800], ['audit', 'Audit log', 'audit', 900],
      ['reports', 'Reports', 'reports', 1000], ['joblog', 'Job log', 'joblog', 900]]) {
      await open(p, base, hash, heading);
      await shoot(p, name, { height });
    }
    // The print manager sees quotas only.
    p = await newPage();
    await portalSignIn(p, base, people.paula);
    await open(p, base, 'policies', /quotas/i);
    await shoot(p, 'quotas');

    // The dealer's pages.
    p = await newPage();
    await portalSignIn(p, base, people.dealer);
    for (const [hash, heading, name, height] of [['orgs', 'Organizations', 'orgs', 1000], ['usage', 'Usage', 'usage', 900]]) {
      await open(p, base, hash, heading);
      await shoot(p, name, { height });
    }
    // The root provider's regions.
    p = await newPage();
    await portalSignIn(p, base, people.rootUser);
    await open(p, base, 'regions', 'Regions');
    await shoot(p, 'regions', { height: 900 });
  } finally {
    await browser.close();
  }
  // Smaller PNGs: 256 colours are plenty for pages of flat colour and text.
  const pngs = fs.readdirSync(SHOTS, { recursive: true }).filter((f) => f.endsWith('.png')).map((f) => path.join(SHOTS, f));
  try {
    execFileSync('pngquant', ['--force', '--skip-if-larger', '--strip', '--ext', '.png', '--quality', '70-95', ...pngs]);
  } catch (e) {
    if (e.code === 'ENOENT') log('pngquant is not installed: screenshots stay unoptimized');
    else if (e.status !== 98 && e.status !== 99) throw e; // 98/99: a file kept as it was
  }
}

// ---- the PDFs ----

const PRINT_CSS = `
@page { size: A4; margin: 18mm 16mm 20mm; }
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 10.5pt; line-height: 1.45; color: #17202b; }
h1 { font-size: 26pt; color: #1f4e8c; margin: 40mm 0 6mm; }
h2 { font-size: 17pt; color: #1f4e8c; break-before: page; margin: 0 0 4mm; }
h3 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; }
h4 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
.cover p.lead { font-size: 13pt; color: #4a5568; }
nav.toc { margin-top: 12mm; }
nav.toc h2 { break-before: auto; font-size: 13pt; }
nav.toc ol { padding-left: 6mm; }
nav.toc a { color: #17202b; text-decoration: none; }
img { display: block; max-width: 100%; border: 0.3mm solid #c8d0db; margin: 2mm 0 4mm; break-inside: avoid; }
p:has(> img) { break-inside: avoid; }
blockquote { margin: 0 0 3mm; padding: 2mm 4mm; background: #e6eef8; border-left: 1.2mm solid #1f4e8c; }
table { border-collapse: collapse; margin: 0 0 4mm; }
th, td { border: 0.3mm solid #c8d0db; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
code { font-size: 0.92em; background: #f3f5f8; }
`;

async function pdfs() {
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage();
    for (const g of editions()) {
      const md = fs.readFileSync(path.join(REPO_ROOT, g.md), 'utf8');
      const title = headings(md).find((h) => h.depth === 1)?.text ?? g.key;
      const image = (src) => {
        const jpg = path.join(JPEG, `${jpegName(src)}.jpg`);
        return pathToFileURL(fs.existsSync(jpg) ? jpg : path.join(DIR, src)).href;
      };
      const body = renderGuide(md, { image });
      // A table of contents after the title and its introduction (before the first h2).
      const toc = headings(md).filter((h) => h.depth === 2)
        .map((h) => `<li><a href="#${slug(h.text)}">${h.text}</a></li>`).join('');
      const cut = body.indexOf('<h2');
      const html = `<!DOCTYPE html><html lang="${g.lang}"><head><meta charset="utf-8"><title>${title}</title><style>${PRINT_CSS}</style></head>
<body><section class="cover">${cut < 0 ? body : body.slice(0, cut)}<nav class="toc"><h2>${g.lang === 'de' ? 'Inhalt' : 'Contents'}</h2><ol>${toc}</ol></nav></section>
${cut < 0 ? '' : body.slice(cut)}</body></html>`;
      const file = path.join(JPEG, `${g.key}.html`);
      fs.writeFileSync(file, html);
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await page.pdf({
        path: path.join(REPO_ROOT, g.pdf),
        format: 'A4',
        printBackground: true,
        outline: true,
        tagged: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: `<div style="font-size:8pt;width:100%;padding:0 16mm;color:#4a5568;display:flex;justify-content:space-between">
          <span>${title}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
        margin: { top: '18mm', bottom: '20mm', left: '16mm', right: '16mm' },
      });
      log(`${g.pdf}: ${fs.statSync(path.join(REPO_ROOT, g.pdf)).size} bytes`);
    }
  } finally {
    await browser.close();
  }
}

async function main() {
  const pdfOnly = process.argv.includes('--pdf-only');
  if (!pdfOnly) {
    const srv = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '100000' } });
    try {
      log(`quired on port ${srv.port}, seeding`);
      const people = await seed(srv);
      await screenshots(srv, people);
    } finally {
      await srv.stop();
    }
  } else {
    // Without new screenshots, the PDFs use the committed PNGs.
    log('--pdf-only: using the committed screenshots');
  }
  await pdfs();
  fs.rmSync(JPEG, { recursive: true, force: true });
  const pngs = fs.readdirSync(SHOTS, { recursive: true }).filter((f) => f.endsWith('.png'));
  let total = 0;
  for (const f of pngs) total += fs.statSync(path.join(SHOTS, f)).size;
  log(`${pngs.length} screenshots, ${total} bytes; run make to build them into quired`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
