// SPDX-License-Identifier: Apache-2.0
// heavy suite: a long real-browser flow; run once, on the normal build against PostgreSQL (scripts/check.sh).
// Issue 14 (reports, provider and root pages), TEN-3, TEN-4, TEN-5, TEN-7, REP-1, REP-3: the
// portal in a real browser (Debian's Chromium through playwright-core). A dealer creates a
// customer with a license in the browser; a license above the dealer's own is refused with
// the API's message by the field; the customer admin's report shows the pages of prints
// released through the API at a device, and its CSV downloads and parses with the same
// figures; the dealer's usage page names the customer and never a deeper org; root edits a
// region. axe-core on every page; screenshots to build/screenshots/.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, createOrg, createUser, replaceOneTimePassword, tokenOf, uniq, REPO_ROOT } from './lib/server.js';
import { portalKit, startBrowser } from './lib/browser.js';
import { makePdf } from './lib/pdf.js';
import { csvObjects } from './lib/csv.js';

const SHOTS = path.join(REPO_ROOT, 'build', 'screenshots');
const EVIL = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">\u202Egnp.exe';

let srv;
let browser;
let signIn, go, axe, shot; // portalKit's
let base;
let dealer;      // {org, admin, token}: a provider under root
let deep;        // a customer below a sub-dealer: never named to the dealer
let sub;         // the sub-dealer (a direct child of the dealer, named)
const acme = { name: 'Acme Print GmbH', slug: `acme-${uniq()}` };

before(async () => {
    srv = await startServer();
    browser = await startBrowser(srv);
    base = `https://localhost:${srv.port}`;
    ({ signIn, go, axe, shot } = portalKit(browser, base, SHOTS));
    const root = await srv.rootToken();
    dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', name: 'Dealer North' });
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${dealer.org.id}`, { token: root,
        body: { license: { devices: 10, users: 100, ocr_pages_per_month: 1000, storage_mb: 1000 } } }), 200, 'dealer license');
    sub = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'provider', name: 'Sub Dealer South',
        extra: { license: { devices: 2, users: 10, ocr_pages_per_month: 0, storage_mb: 100 } } });
    deep = await createOrg(srv, sub.token, { parentId: sub.org.id, type: 'customer', name: `Deep Hidden Customer ${uniq()}`,
        extra: { license: { devices: 1, users: 5, ocr_pages_per_month: 0, storage_mb: 10 } } });
});

after(async () => {
    if (browser)
        await browser.close();
    if (srv)
        await srv.stop();
});

async function deviceToken(d) {
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    return t.json.access_token;
}

/** A user submits a PDF, a device releases it at its panel and reports it printed. */
async function printViaRelease(user, dev, { pages, copies, color }) {
    const s = await srv.request('POST', `/api/v1/jobs?name=doc.pdf&copies=${copies}&color=${color}&duplex=false`,
        { token: await tokenOf(srv, user), rawBody: makePdf({ pages, color }), headers: { 'Content-Type': 'application/pdf' } });
    assertStatus(s, 201, 'submit');
    const p = await srv.request('POST', '/api/v1/device/login',
        { token: dev.token, body: { method: 'password', username: user.username, password: user.password } });
    assertStatus(p, 200, 'panel login');
    const panel = p.json.access_token;
    assertStatus(await srv.request('POST', `/api/v1/jobs/${s.json.id}/release`, { token: panel }), 200, 'release');
    assertStatus(await srv.request('POST', `/api/v1/jobs/${s.json.id}/result`,
        { token: panel, body: { status: 'printed', pages, copies, color, duplex: false } }), 200, 'printed');
}

async function downloaded(page, button) {
    const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
    return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
}

describe('portal: reports, provider and root pages', () => {
    let page;           // the dealer's browser
    let acmeAdmin;      // {slug, username, password}
    let acmeOrg;

    test('TEN-5 a dealer creates a customer with a license in the browser; the admin password is shown once', async () => {
        page = await signIn({ ...dealer.admin, slug: dealer.admin.slug });
        await go(page, 'orgs', 'Organizations');
        // The tree: the sub-dealer is a direct child; what is below it is not the dealer's to see.
        await page.locator('.tree-name', { hasText: 'Sub Dealer South' }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Show the organizations below Sub Dealer South' }).count(), 0);
        assert.ok(!(await page.locator('main').textContent()).includes(deep.org.name), 'TEN-4 no deeper org in the tree');
        const form = page.locator('section', { has: page.getByRole('heading', { name: 'Create a child organization' }) });
        await form.getByLabel('Name', { exact: true }).fill(acme.name);
        await form.getByLabel('Sign-in name (slug)').fill(acme.slug);
        await form.getByLabel('Devices').fill('2');
        await form.getByLabel('Users').fill('10');
        await form.getByLabel('Storage (MiB)').fill('100');
        await form.getByLabel('OCR pages per month').fill('0');
        await form.getByLabel('Representative').fill('Grace Hopper');
        await form.getByLabel('First admin’s username (optional)').fill('acme.admin');
        await axe(page, 'the organizations page');
        await shot(page, 'provider-orgs');
        await form.getByRole('button', { name: 'Create' }).click();
        const dialog = page.getByRole('dialog', { name: 'Shown once' });
        await dialog.waitFor();
        const password = await dialog.getByTestId('secret').textContent();
        assert.equal(password.length, 16, 'the generated one-time password');
        await axe(page, 'the shown-once dialog');
        await shot(page, 'provider-org-secret');
        await dialog.getByRole('button', { name: 'I have saved it' }).click();
        await page.getByRole('status').filter({ hasText: `“${acme.name}” was created.` }).waitFor();
        await page.locator('.tree-name', { hasText: acme.name }).waitFor();
        const orgs = await srv.request('GET', '/api/v1/orgs', { token: dealer.token });
        acmeOrg = orgs.json.items.find((o) => o.slug === acme.slug);
        assert.deepEqual(acmeOrg.license, { devices: 2, ocr_pages_per_month: 0, storage_mb: 100, users: 10, features: ['print', 'scan'] });
        assert.equal(acmeOrg.representative.name, 'Grace Hopper');
        acmeAdmin = { slug: acme.slug, username: 'acme.admin', password };
    });

    test('TEN-5 a license above the dealer\'s own is refused; the API\'s message shows by the field', async () => {
        const form = page.locator('section', { has: page.getByRole('heading', { name: 'Create a child organization' }) });
        await form.getByLabel('Name', { exact: true }).fill('Too Big Ltd');
        await form.getByLabel('Sign-in name (slug)').fill(`toobig-${uniq()}`);
        await form.getByLabel('Devices').fill('1000');
        await form.getByRole('button', { name: 'Create' }).click();
        const field = form.getByLabel('Devices');
        await page.locator('#new-org-devices-error').waitFor();
        const msg = await page.locator('#new-org-devices-error').textContent();
        assert.match(msg, /^devices: the children of Dealer North hold \d+ of 10; asked 1000$/, 'the API\'s message');
        assert.equal(await field.getAttribute('aria-invalid'), 'true');
        assert.equal(await field.getAttribute('aria-describedby'), 'new-org-devices-error');
        await axe(page, 'the refused license');
        await shot(page, 'provider-org-license-refused');
        // Editing the customer: the same rule through PATCH, the message by the field.
        await page.getByRole('button', { name: `Edit ${acme.name}` }).click();
        const edit = page.locator('section', { has: page.getByRole('heading', { name: `Edit “${acme.name}”` }) });
        await edit.getByLabel('Devices').fill('999');
        await edit.getByRole('button', { name: 'Save' }).click();
        await page.locator(`#org-${acmeOrg.id}-devices-error`).waitFor();
        assert.match(await page.locator(`#org-${acmeOrg.id}-devices-error`).textContent(), /^devices: the other children of Dealer North hold/);
        await edit.getByRole('button', { name: 'Cancel' }).click();
        // Support: the customer's admins.
        await page.getByRole('button', { name: `Admins ${acme.name}` }).click();
        await page.getByRole('cell', { name: 'acme.admin', exact: true }).waitFor();
        await axe(page, 'a child\'s admins');
        await shot(page, 'provider-admins');
        await page.getByRole('button', { name: 'Send reset link (acme.admin)' }).click();
        await page.getByRole('status').filter({ hasText: 'A password-reset link was sent to acme.admin.' }).or(page.getByRole('alert')).first().waitFor();
    });

    test('REP-1 the customer\'s report shows released prints; its CSV has the same figures', async () => {
        const token = await replaceOneTimePassword(srv, acmeAdmin);
        const ada = await createUser(srv, token, acmeOrg, { role: 'customer_user', extra: { first_name: 'Ada' } });
        const d = await srv.request('POST', `/api/v1/orgs/${acmeOrg.id}/devices`, { token, body: { serial: 'ACME-MFP-1' } });
        assertStatus(d, 201, 'register a device');
        const dev = { device: d.json, token: await deviceToken(d.json) };
        // A hostile group name renders as text.
        const g = await srv.request('POST', `/api/v1/orgs/${acmeOrg.id}/groups`, { token, body: { name: EVIL.slice(0, 90) } });
        assertStatus(g, 201, 'group');
        assertStatus(await srv.request('PUT', `/api/v1/groups/${g.json.id}/members/${ada.id}`, { token }), 204, 'member');
        await printViaRelease(ada, dev, { pages: 3, copies: 2, color: false });
        await printViaRelease(ada, dev, { pages: 2, copies: 1, color: true });

        const p = await signIn(acmeAdmin);
        await go(p, 'reports', 'Reports');
        const row = p.getByRole('row', { name: new RegExp(ada.username) });
        await row.waitFor();
        const cells = await row.locator('td').allTextContents();
        assert.deepEqual(cells.slice(0, 3), ['8', '6', '2'], 'printed, mono, colour pages');
        assert.equal(await p.getByRole('img', { name: /Printed pages per user/ }).count(), 1, 'the chart');
        await axe(p, 'the users report');
        await shot(p, 'reports-users');
        const csv = await downloaded(p, p.getByRole('button', { name: 'Download CSV' }));
        assert.match(csv.name, /^report-users-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
        const parsed = csvObjects(csv);
        const mine = parsed.items.find((r) => r.username === ada.username);
        assert.equal(Number(mine.print_pages), 8);
        assert.equal(Number(mine.print_mono_pages), 6);
        assert.equal(Number(mine.print_color_pages), 2);
        assert.equal(parsed.items.at(-1)[parsed.header[0]], 'Total');

        // Groups (keyboard: arrow to the next tab) and devices.
        await p.getByRole('tab', { name: 'Users' }).focus();
        await p.keyboard.press('ArrowRight');
        await p.getByRole('tab', { name: 'Groups', selected: true }).waitFor();
        await p.locator('tbody th', { hasText: 'gnp.exe' }).waitFor();
        assert.equal(await p.evaluate(() => window.__xss), undefined, 'a hostile name stays text');
        assert.equal(await p.locator('table img').count(), 0);
        await axe(p, 'the groups report');
        await p.getByRole('tab', { name: 'Devices' }).click();
        const drow = p.getByRole('row', { name: /ACME-MFP-1/ });
        await drow.waitFor();
        assert.equal((await drow.locator('td').allTextContents())[0], '8');
        await shot(p, 'reports-devices');
        // A slow answer: the spinner, then cancel; loading again shows the rows.
        let release;
        const held = new Promise((resolve) => { release = resolve; });
        await p.route('**/reports/users?*', async (route) => { await held; await route.continue().catch(() => {}); });
        await p.getByRole('tab', { name: 'Users' }).click();
        await p.getByRole('status').filter({ hasText: 'Loading the report…' }).waitFor();
        await axe(p, 'the report while it loads');
        await p.getByRole('button', { name: 'Cancel' }).click();
        await p.getByRole('status').filter({ hasText: 'Loading was cancelled.' }).waitFor();
        release();
        await p.unroute('**/reports/users?*');
        await p.getByRole('button', { name: 'Load again' }).click();
        await p.getByRole('row', { name: new RegExp(ada.username) }).waitFor();
        // German.
        await p.getByLabel('Language').selectOption('de');
        await p.getByRole('heading', { level: 1, name: 'Berichte' }).waitFor();
        await p.getByRole('tab', { name: 'Gruppen' }).waitFor();
        await shot(p, 'reports-users-de');
        await p.getByLabel('Sprache').selectOption('en');
        await p.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
        // Last month: nothing.
        await p.getByLabel('Period').selectOption('last');
        await p.getByText('Nothing was printed, copied or scanned in this period.').waitFor();
        await p.getByLabel('Period').selectOption('custom');
        await axe(p, 'the custom period');

        // The job log: filters, CSV.
        await go(p, 'joblog', 'Job log');
        await p.getByText('2 entries shown').waitFor();
        await p.getByLabel('Colour', { exact: true }).selectOption('true');
        await p.getByRole('button', { name: 'Show' }).click();
        await p.getByText('1 entries shown').waitFor();
        const log = csvObjects(await downloaded(p, p.getByRole('button', { name: 'Download CSV' })));
        assert.equal(log.items.length, 1, 'the CSV has the filter too');
        assert.equal(log.items[0].pages, '2');
        await axe(p, 'the job log');
        await shot(p, 'joblog');
        // Keyset paging: 50 more entries (walk-up copies), "load more" fetches the rest.
        for (let i = 0; i < 50; i++)
            assertStatus(await srv.request('POST', '/api/v1/device/log', { token: dev.token, body: { type: 'copy', pages: 1, copies: 1, color: false, duplex: false } }), 201, 'device log');
        await p.getByLabel('Colour', { exact: true }).selectOption('');
        await p.getByRole('button', { name: 'Show' }).click();
        await p.getByText('50 entries shown').waitFor();
        await p.getByRole('button', { name: 'Load more' }).click();
        await p.getByText('52 entries shown').waitFor();
        assert.equal(await p.getByRole('button', { name: 'Load more' }).count(), 0, 'the last page');
        await p.getByLabel('Type').selectOption('print');
        await p.getByRole('button', { name: 'Show' }).click();
        await p.getByText('2 entries shown').waitFor();

        // The user's own report.
        const u = await signIn(ada);
        await go(u, 'myreport', 'My report');
        const mrow = u.getByRole('row', { name: /ACME-MFP-1/ });
        await mrow.waitFor();
        assert.equal((await mrow.locator('td').allTextContents())[0], '8');
        await axe(u, 'my report');
        await shot(u, 'my-report');
        // TEN-3: a user's browser asking for the org's report gets the API's 404 message.
        await go(u, 'reports', 'Reports');
        await u.getByRole('alert').filter({ hasText: /organization not found/ }).waitFor();
    });

    test('TEN-4 the dealer\'s usage page names the customer and never a deeper org', async () => {
        await go(page, 'usage', 'Usage by organization');
        const row = page.getByRole('row', { name: new RegExp(acme.name) });
        await row.waitFor();
        await page.getByRole('row', { name: /Sub Dealer South/ }).waitFor();
        const text = await page.locator('main').textContent();
        assert.ok(!text.includes(deep.org.name), 'the deeper org is not named');
        assert.ok(!text.includes(deep.org.slug));
        const cells = await row.locator('td').allTextContents();
        assert.deepEqual(cells.slice(0, 4), ['Customer', '0', '8', '8'], 'type, orgs below, own and subtree printed pages');
        assert.equal(await page.getByRole('img', { name: /Printed pages per organization/ }).count(), 1);
        await axe(page, 'the usage page');
        await shot(page, 'provider-usage');
        const csv = csvObjects(await downloaded(page, page.getByRole('button', { name: 'Download CSV' })));
        assert.ok(!JSON.stringify(csv).includes(deep.org.name));
        assert.equal(Number(csv.items.find((r) => r.name === acme.name).subtree_print_pages), 8);

        await go(page, 'subscriptions', 'Subscription status');
        await page.getByRole('row', { name: new RegExp(acme.name) }).waitFor();
        assert.ok(!(await page.locator('main').textContent()).includes(deep.org.name));
        await axe(page, 'the subscriptions page (dealer)');

        await go(page, 'cdevices', 'Customers’ devices');
        await page.getByLabel('Organization', { exact: true }).selectOption({ label: acme.name });
        await page.getByRole('cell', { name: 'ACME-MFP-1' }).waitFor();
        await axe(page, 'the customers\' devices');
        await shot(page, 'provider-devices');

        // A dealer is not root: its navigation has no Regions, and the page typed by hand
        // shows the API's 403 message.
        await page.waitForFunction(() => document.querySelector('.topbar .org').textContent !== ''); // the org has loaded
        assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Regions' }).count(), 0, 'no Regions for a dealer');
        await go(page, 'regions', 'Regions');
        await page.getByRole('alert').filter({ hasText: /regions are managed by the root provider/ }).waitFor();
    });

    test('TEN-7 root edits a region; the subscription-status report', async () => {
        const token = await srv.rootToken();
        const r = await srv.request('POST', '/api/v1/regions', { token, body: { name: `EU ${uniq()}`, desktop_idle_minutes: 15 } });
        assertStatus(r, 201, 'region');
        const p = await signIn(srv.root);
        await go(p, 'regions', 'Regions');
        await p.getByRole('navigation').getByRole('link', { name: 'Regions' }).waitFor();
        await p.getByRole('button', { name: `Edit ${r.json.name}` }).click();
        const edit = p.locator('section', { has: p.getByRole('heading', { name: `Edit region “${r.json.name}”` }) });
        await edit.getByLabel('EULA URL').fill('https://example.com/eula');
        await edit.getByLabel('Desktop idle logout (minutes)').fill('30');
        await edit.getByLabel('8').check();
        await edit.getByRole('button', { name: 'Save' }).click();
        await p.getByRole('status').filter({ hasText: `Region “${r.json.name}” was saved.` }).waitFor();
        const row = p.locator(`tr[data-region="${r.json.id}"]`);
        assert.deepEqual((await row.locator('td').allTextContents()).slice(1, 3), ['8', '30']);
        const back = await srv.request('GET', `/api/v1/regions/${r.json.id}`, { token });
        assert.equal(back.json.eula_url, 'https://example.com/eula');
        assert.deepEqual(back.json.pin_lengths, [8]);
        // A bad URL: the API's message by the field.
        await p.getByRole('button', { name: `Edit ${r.json.name}` }).click();
        await edit.getByLabel('Privacy policy URL').fill('http://insecure.example');
        await edit.getByRole('button', { name: 'Save' }).click();
        await p.locator(`#reg-${r.json.id}-privacy_url-error`).waitFor();
        await axe(p, 'the regions page');
        await shot(p, 'root-regions');

        await go(p, 'subscriptions', 'Subscription status');
        await p.getByRole('row', { name: /Dealer North/ }).waitFor();
        await axe(p, 'the subscriptions page (root)');
        await shot(p, 'root-subscriptions');
        const csv = csvObjects(await downloaded(p, p.getByRole('button', { name: 'Download CSV' })));
        assert.ok(csv.items.some((x) => x.name === 'Dealer North'));
        await go(p, 'orgs', 'Organizations');
        await p.locator('.tree-name', { hasText: 'Dealer North' }).waitFor();
        // Root sees the whole tree: expand and collapse (by keyboard) below the dealer.
        await p.getByRole('button', { name: 'Show the organizations below Dealer North' }).click();
        await p.getByRole('button', { name: 'Show the organizations below Sub Dealer South' }).click();
        await p.locator('.tree-name', { hasText: deep.org.name }).waitFor();
        await p.getByRole('button', { name: 'Hide the organizations below Dealer North' }).press('Enter');
        assert.equal(await p.locator('.tree-name', { hasText: 'Sub Dealer South' }).count(), 0, 'collapsed by keyboard');
        await p.getByRole('button', { name: 'Show the organizations below Dealer North' }).press('Enter');
        await axe(p, 'the whole tree (root)');
        await shot(p, 'root-orgs');
    });
});
