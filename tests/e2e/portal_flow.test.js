// SPDX-License-Identifier: Apache-2.0
// heavy suite: a long real-browser flow; run once, on the normal build against PostgreSQL (scripts/check.sh).
// Issue 14: one working day through the portal, every role in its own browser, nothing through
// the API that a person would do in a page. A dealer creates a customer (its admin's one-time
// password shown once); the customer's admin signs in the first time, chooses a password,
// creates a user and registers a device (secrets shown once); the user signs in the first
// time, uploads a PDF and sees it held; the device (quire-device, the reference device
// client) releases it at the panel to a real IPP printer (ippeveprinter) with the user's
// password; the user sees it printed; the admin's report shows its pages and its CSV
// downloads and parses with the same figures.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, assertStatus, createOrg, strongPassword, uniq, BIN_DIR, REPO_ROOT } from './lib/server.js';
import { portalKit, startBrowser } from './lib/browser.js';
import { startPrinter, sha256 } from './lib/printer.js';
import { makePdf } from './lib/pdf.js';
import { csvObjects } from './lib/csv.js';

let srv;
let browser;
let base;
let kit;
let dealer;
let printer;
let work;

before(async () => {
    srv = await startServer();
    browser = await startBrowser(srv);
    base = `https://localhost:${srv.port}`;
    kit = portalKit(browser, base, path.join(REPO_ROOT, 'build', 'screenshots'));
    const root = await srv.rootToken();
    dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', name: 'Dealer Flow' });
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${dealer.org.id}`, { token: root,
        body: { license: { devices: 5, users: 50, ocr_pages_per_month: 0, storage_mb: 500 } } }), 200, 'dealer license');
    printer = await startPrinter();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-flow-'));
    fs.writeFileSync(path.join(work, 'ca.pem'), srv.ca);
});

after(async () => {
    try {
        if (browser)
            await browser.close();
        if (printer)
            await printer.stop();
    } finally {
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
        if (srv)
            await srv.stop();
    }
});

/** The first sign-in with a one-time password: the person chooses their own on the way, then
 * signs in with it. Returns [page, password]. */
async function firstSignIn(slug, username, oneTime) {
    const page = await browser.newPage({ javaScript: true });
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Organization').fill(slug);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(oneTime);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: `Choose a password for ${username}` }).waitFor();
    const own = strongPassword();
    await page.getByLabel('New password').fill(own);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Password saved' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Organization').fill(slug);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(own);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
    return [page, own];
}

/** The values of the secret dialog titled title, which is then closed. */
async function secrets(page, title) {
    const dialog = page.getByRole('dialog', { name: title });
    await dialog.waitFor();
    const values = await dialog.locator('input.secret').evaluateAll((xs) => xs.map((x) => x.value));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    return values;
}

/** quire-device at the panel: resolves {code, stdout, stderr}. */
function quireDevice(device, args, password) {
    const env = { ...process.env, QUIRE_DEVICE_SECRET: device.secret, QUIRE_PANEL_PASSWORD: password };
    const common = ['--server', base, '--ca-file', path.join(work, 'ca.pem'), '--client-id', device.id,
        '--printer', printer.uri, '--timeout', '60'];
    return new Promise((resolve) => {
        execFile(path.join(BIN_DIR, 'quire-device'), [...common, ...args], { env, timeout: 120000 },
            (err, stdout, stderr) => resolve({ code: err ? err.code ?? -1 : 0, stdout: String(stdout), stderr: String(stderr) }));
    });
}

describe('portal: one day, every role', () => {
    test('dealer -> customer admin -> user -> device -> report, each in the browser (and quire-device at the panel)', async () => {
        const name = `Flow Print ${uniq()} GmbH`;
        const slug = `flow-${uniq()}`;

        // The dealer creates the customer with a license and its first admin.
        const d = await kit.signIn(dealer.admin);
        await kit.go(d, 'orgs', 'Organizations');
        const form = d.locator('section', { has: d.getByRole('heading', { name: 'Create a child organization' }) });
        await form.getByLabel('Name', { exact: true }).fill(name);
        await form.getByLabel('Sign-in name (slug)').fill(slug);
        await form.getByLabel('Devices').fill('1');
        await form.getByLabel('Users').fill('10');
        await form.getByLabel('Storage (MiB)').fill('100');
        await form.getByLabel('OCR pages per month').fill('0');
        await form.getByLabel('First admin’s username (optional)').fill('flow.admin');
        await form.getByRole('button', { name: 'Create' }).click();
        const shown = d.getByRole('dialog', { name: 'Shown once' });
        await shown.waitFor();
        const adminOtp = await shown.getByTestId('secret').textContent();
        await shown.getByRole('button', { name: 'I have saved it' }).click();
        await d.locator('.tree-name', { hasText: name }).waitFor();

        // Its admin: first sign-in, a user, a device.
        const [a] = await firstSignIn(slug, 'flow.admin', adminOtp);
        await kit.go(a, 'users', `Users of ${name}`);
        await a.getByLabel('Username', { exact: true }).fill('pat.print');
        await a.getByLabel('First name').fill('Pat');
        await a.getByLabel('Last name').fill('Print');
        await a.getByRole('button', { name: 'Create user' }).click();
        const [patOtp] = await secrets(a, 'One-time password for pat.print');
        await a.locator('tr', { hasText: 'pat.print' }).waitFor();
        await kit.go(a, 'devices', 'Devices');
        await a.getByLabel('Serial number').fill('FLOW-MFP-1');
        await a.getByRole('button', { name: 'Register device' }).click();
        const [clientId, clientSecret] = await secrets(a, 'Credentials of device FLOW-MFP-1');
        await a.locator('tr', { hasText: 'FLOW-MFP-1' }).waitFor();

        // The user: first sign-in, a PDF uploaded, held.
        const [u, patPw] = await firstSignIn(slug, 'pat.print', patOtp);
        await kit.go(u, 'jobs', 'My print jobs');
        const doc = makePdf({ pages: 3, marker: `flow-${uniq()}` });
        await u.getByLabel('PDF file').setInputFiles({ name: 'minutes.pdf', mimeType: 'application/pdf', buffer: doc });
        await u.getByLabel('Job name (optional)').fill('Board minutes');
        await u.getByRole('button', { name: 'Upload' }).click();
        const row = u.locator('tr', { hasText: 'Board minutes' });
        await row.getByText('Held').waitFor();
        assert.equal((await row.locator('td').nth(2).textContent()).trim(), '3', 'three pages');

        // At the printer: the person logs in at the panel with the password and releases.
        const before = printer.jobs().length;
        const r = await quireDevice({ id: clientId, secret: clientSecret }, ['release', '--username', 'pat.print', '--all'], patPw);
        assert.equal(r.code, 0, `quire-device: ${r.stderr}`);
        const jobs = printer.jobs();
        assert.equal(jobs.length, before + 1, 'one job reached the printer');
        assert.equal(jobs.at(-1).sha256, sha256(doc), 'the very bytes uploaded');

        // The user sees it printed.
        await u.reload();
        await u.getByRole('heading', { level: 1, name: 'My print jobs' }).waitFor();
        await u.locator('tr', { hasText: 'Board minutes' }).getByText('Printed').waitFor();

        // The admin's report: the pages, and the same figures in its CSV.
        await kit.go(a, 'reports', 'Reports');
        const rep = a.getByRole('row', { name: /pat\.print/ });
        await rep.waitFor();
        assert.equal((await rep.locator('td').allTextContents())[0], '3', 'printed pages of pat.print');
        const [dl] = await Promise.all([a.waitForEvent('download'), a.getByRole('button', { name: 'Download CSV' }).click()]);
        const csv = csvObjects({ text: fs.readFileSync(await dl.path(), 'utf8') });
        assert.equal(Number(csv.items.find((x) => x.username === 'pat.print').print_pages), 3);
        assert.equal(csv.items.at(-1)[csv.header[0]], 'Total');
        await kit.axe(a, 'the report after the day');
    });
});
