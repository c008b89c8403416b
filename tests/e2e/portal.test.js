// SPDX-License-Identifier: Apache-2.0
// Issue 14 (first slice), AUTH-7, AUTH-12, SEC-4, PRN-5, TEN-3: the web portal in a real
// browser (Debian's Chromium through playwright-core, JavaScript on). A person signs in
// through the portal (OAuth code + PKCE, the built-in client), uploads a PDF and sees it
// held, deletes it, sees the quota, changes the password and signs out; the idle warning
// shows on the browser's clock; CSP and headers are on every file; another site cannot frame
// it; hostile names render as text; axe-core finds no serious or critical violation on any
// page. Screenshots go to a temporary directory (printed), never committed.

import { gunzipSync } from 'node:zlib';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, createOrg, createUser, strongPassword, REPO_ROOT } from './lib/server.js';
import { portalKit, startBrowser, startSite } from './lib/browser.js';
import { makePdf } from './lib/pdf.js';
import { textPng } from './lib/scan.js';

const SHOTS = path.join(REPO_ROOT, 'build', 'screenshots');
const EVIL = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">\u202Egnp.exe';

let srv;
let browser;
let signIn, go, axe, shot; // portalKit's
let cust;
let user;
let base;

before(async () => {
    srv = await startServer();
    browser = await startBrowser(srv);
    base = `https://localhost:${srv.port}`;
    ({ signIn, go, axe, shot } = portalKit(browser, base, SHOTS));
    cust = await createOrg(srv, await srv.rootToken(), { parentId: srv.root.orgId, type: 'customer', name: 'Acme Print GmbH' });
    user = await createUser(srv, cust.token, cust.org, { role: 'customer_user', extra: { first_name: 'Ada', last_name: 'Lovelace' } });
    const q = await srv.request('PUT', `/api/v1/users/${user.id}/quota`, { token: cust.token, body: { monthly_pages: 200 } });
    assertStatus(q, 200, 'set a quota');
    console.log(`portal screenshots: ${SHOTS}`);
});

after(async () => {
    if (browser)
        await browser.close();
    if (srv)
        await srv.stop();
});

describe('web portal', () => {
    test('SEC-4 CSP, cache and security headers on the page and every asset', async () => {
        const page = await browser.newPage({ javaScript: true });
        const seen = [];
        page.on('response', (r) => r.url().startsWith(base) && seen.push(r));
        const res = await page.goto(`${base}/`);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        const h = res.headers();
        assert.equal(h['content-security-policy'],
            "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'");
        assert.equal(h['cache-control'], 'no-cache', 'index.html is revalidated');
        assert.match(h['content-type'], /^text\/html/);
        // Every file the browser loaded, fetched again from the server for its headers.
        const paths = [...new Set(seen.map((r) => new URL(r.url()).pathname).filter((p) => p.startsWith('/assets/')))];
        assert.ok(paths.length >= 10, `assets loaded: ${paths.join(' ')}`);
        const types = new Set();
        for (const p of ['/', ...paths]) {
            const r = await srv.request('GET', p);
            assert.equal(r.status, 200, p);
            const ah = r.headers;
            assert.match(ah['strict-transport-security'], /max-age=\d+/, p);
            assert.equal(ah['x-frame-options'], 'DENY', p);
            assert.equal(ah['x-content-type-options'], 'nosniff', p);
            assert.equal(ah['referrer-policy'], 'same-origin', p);
            assert.equal(ah['content-security-policy'], h['content-security-policy'], p);
            assert.ok(!/unsafe-(inline|eval)/.test(ah['content-security-policy']), p);
            if (p !== '/') {
                assert.match(p, /^\/assets\/[0-9a-f]{32}$/, 'content-hashed name');
                assert.equal(ah['cache-control'], 'public, max-age=31536000, immutable', p);
                types.add(ah['content-type']);
            }
            // Text is sent gzip-compressed to a client that takes it, as it is to one that
            // does not (or refuses it with q=0), and caches keep the two apart.
            assert.equal(ah['content-encoding'], undefined, `${p} without Accept-Encoding`);
            const z = await srv.request('GET', p, { headers: { 'Accept-Encoding': 'br;q=1.0, gzip;q=0.8' } });
            assert.equal(z.headers['content-encoding'], 'gzip', p);
            assert.equal(z.headers.vary, 'Accept-Encoding', p);
            assert.ok(gunzipSync(z.raw).equals(r.raw), `${p}: the same bytes once unzipped`);
            const no = await srv.request('GET', p, { headers: { 'Accept-Encoding': 'gzip;q=0, identity' } });
            assert.equal(no.headers['content-encoding'], undefined, `${p}: gzip;q=0 refuses it`);
            assert.ok(no.raw.equals(r.raw), p);
        }
        // What the browser fetched for its first load, as sent (compressed): the issue's
        // budget for JavaScript and CSS is 120 KB.
        let sent = 0;
        for (const r of seen) if (/javascript|css/.test(r.headers()['content-type'] || '')) sent += (await r.request().sizes()).responseBodySize;
        assert.ok(sent > 0 && sent <= 120 * 1024, `first load sent ${sent} bytes of JavaScript and CSS`);
        assert.deepEqual([...types].sort(), ['image/svg+xml', 'text/css; charset=utf-8', 'text/javascript; charset=utf-8']);
        const nothing = await srv.request('GET', `/assets/${'0'.repeat(32)}`);
        assert.equal(nothing.status, 404);
        const html = await srv.request('GET', '/');
        assert.ok(!/<script>|<style>|\son[a-z]+=|style=/.test(html.text), 'no inline script or style in index.html');
        await axe(page, 'the signed-out page');
        await shot(page, 'signed-out');
    });

    test('the sign-in page wears the design system (its stylesheet, a CSP without unsafe-*)', async () => {
        const page = await browser.newPage({ javaScript: true });
        await page.goto(`${base}/`);
        const login = page.waitForResponse((r) => r.url().startsWith(`${base}/oauth/authorize`) && r.status() === 200);
        await page.getByRole('button', { name: 'Sign in' }).click();
        const csp = (await (await login).allHeaders())['content-security-policy'];
        assert.equal(csp, "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'");
        await page.getByLabel('Organization').waitFor();
        const bg = await page.getByRole('button', { name: 'Sign in' }).evaluate((b) => getComputedStyle(b).backgroundColor);
        assert.equal(bg, 'rgb(31, 78, 140)', 'the brand colour from portal.css');
        await page.getByLabel('Organization').fill('nope');
        await page.getByLabel('Username').fill('nobody');
        await page.getByLabel('Password').fill('Wrong-password-1');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('alert').waitFor();
        assert.equal(await page.getByLabel('Organization').inputValue(), 'nope', 'the organization stays editable');
        await axe(page, 'the sign-in page');
        await shot(page, 'signin');
    });

    test('AUTH-12 another site cannot frame the portal', async () => {
        const framing = await startSite({ '/frame': `<!DOCTYPE html><title>evil</title><iframe src="${base}/"></iframe>` });
        try {
            const page = await browser.newPage({ javaScript: true });
            const loaded = page.waitForResponse((r) => r.url() === `${base}/`);
            await page.goto(`${framing.origin}/frame`);
            assert.equal((await loaded).status(), 200);
            const frame = page.frames().find((f) => f !== page.mainFrame());
            assert.ok(frame, 'the iframe exists');
            assert.ok(!frame.url().startsWith(base), `frame shows ${frame.url()}`);
            assert.equal(await frame.locator('#app').count(), 0, 'no portal inside the frame');
        } finally {
            await framing.close();
        }
    });

    test('a user signs in, uploads a PDF, sees it held, deletes it, sees the quota; every page passes axe', async () => {
        const page = await browser.newPage({ javaScript: true });
        const storage = [];
        await signIn(user, page);
        assert.equal(new URL(page.url()).pathname, '/', 'the code left the address bar');
        await page.getByText('Acme Print GmbH').first().waitFor();
        await page.getByText('0 pages used of 200').waitFor();
        await axe(page, 'home');
        await shot(page, 'home');

        await go(page, 'jobs', 'My print jobs');
        await page.getByText(/No print jobs/).waitFor();
        await axe(page, 'jobs (empty)');
        await page.getByLabel('PDF file').setInputFiles({ name: 'report.pdf', mimeType: 'application/pdf', buffer: makePdf({ pages: 2 }) });
        await page.getByLabel('Job name (optional)').fill('Quarterly report');
        await page.getByRole('button', { name: 'Upload' }).click();
        await page.getByRole('status').filter({ hasText: 'is held for release' }).waitFor();
        const row = page.locator('tr', { hasText: 'Quarterly report' });
        await row.getByText('Held').waitFor();
        assert.equal((await row.locator('td').nth(2).textContent()).trim(), '2', 'two pages');
        await axe(page, 'jobs');
        await shot(page, 'jobs');
        await page.getByRole('button', { name: 'Delete Quarterly report' }).click();
        await page.getByText('“Quarterly report” was deleted.').waitFor();
        await page.locator('tr', { hasText: 'Quarterly report' }).waitFor({ state: 'detached' });

        for (const [hash, heading, name] of [['scans', 'My scans and downloads', 'scans'], ['log', 'My log', 'log'],
            ['password', 'Change password', 'password']]) {
            await go(page, hash, heading);
            await page.waitForTimeout(200);
            await axe(page, name);
            await shot(page, name);
        }
        await go(page, 'pin', 'My PIN and ID cards');
        await page.getByText('You have no PIN yet.').waitFor();
        await page.getByRole('button', { name: 'Generate a PIN' }).click();
        await page.getByText('Your PIN was saved.').waitFor();
        const pin = (await page.getByTestId('pin').textContent()).trim();
        assert.match(pin, /^\d{8}$/, 'the generated PIN, shown to its owner');
        await page.getByRole('button', { name: 'Hide PIN' }).click();
        assert.match((await page.getByTestId('pin').textContent()).trim(), /^•+$/);
        await axe(page, 'pin');
        await shot(page, 'pin');

        // No token in web storage, ever.
        storage.push(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })));
        assert.ok(!/eyJ/.test(storage.join('')), `no token in storage: ${storage}`);

        // A reload keeps the person signed in (prompt=none against the browser session).
        await page.reload();
        await page.getByRole('heading', { level: 1, name: 'My PIN and ID cards' }).waitFor();
    });

    test('CAP-4 a scan in the download area: listed with its state, downloaded, deleted', async () => {
        const root = await srv.rootToken();
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${cust.org.id}`,
            { token: root, body: { license: { devices: 1 } } }), 200, 'license a device');
        const d = await srv.request('POST', `/api/v1/orgs/${cust.org.id}/devices`, { token: cust.token, body: { serial: 'PORTAL-1' } });
        assertStatus(d, 201, 'device');
        const w = await srv.request('POST', `/api/v1/orgs/${cust.org.id}/workflows`,
            { token: cust.token, body: { name: 'Plain scan', format: 'pdf', steps: { ocr: false } } });
        assertStatus(w, 201, 'workflow');
        const t = await srv.request('POST', '/oauth/token', { rawBody: 'grant_type=client_credentials',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded',
                Authorization: 'Basic ' + Buffer.from(`${d.json.client_id}:${d.json.client_secret}`).toString('base64') } });
        const p = await srv.request('POST', '/api/v1/device/login', { token: t.json.access_token,
            body: { method: 'password', username: user.username, password: user.password } });
        assertStatus(p, 200, 'panel login');
        const panel = p.json.access_token;
        const s = await srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: w.json.id, name: 'Contract' } });
        assertStatus(s, 201, 'start scan');
        assertStatus(await srv.request('POST', `/api/v1/scans/${s.json.id}/files`,
            { token: panel, rawBody: textPng(['A scanned page']), headers: { 'Content-Type': 'image/png' } }), 201, 'upload');
        assertStatus(await srv.request('POST', `/api/v1/scans/${s.json.id}/submit`, { token: panel }), 202, 'submit');

        const page = await browser.newPage({ javaScript: true });
        await signIn(user, page);
        await go(page, 'scans', 'My scans and downloads');
        const row = page.locator('tr', { hasText: 'Plain scan' });
        await row.waitFor();
        await row.getByText('Done').waitFor({ timeout: 90000 }); // the page polls while it works
        await axe(page, 'scans');
        await shot(page, 'scans-done');
        const dl = page.waitForEvent('download');
        await row.getByRole('button', { name: /^Download Contract/ }).click();
        const file = await dl;
        assert.match(file.suggestedFilename(), /^Contract.*\.pdf$/);
        const body = fs.readFileSync(await file.path());
        assert.equal(body.subarray(0, 5).toString(), '%PDF-', 'the document itself');
        await row.getByRole('button', { name: 'Delete scan Contract' }).click();
        await page.getByText('The scan “Contract” was deleted.').waitFor();
        await page.locator('tr', { hasText: 'Plain scan' }).waitFor({ state: 'detached' });
    });

    test('AUTH-12 hostile names render as text (job name with <script>, "><img onerror>, RTL override)', async () => {
        const tok = (await srv.login(user.slug, user.username, user.password)).access_token;
        const up = await srv.request('POST', `/api/v1/jobs?${new URLSearchParams({ name: EVIL })}`, {
            token: tok, rawBody: makePdf(), headers: { 'Content-Type': 'application/pdf' } });
        assertStatus(up, 201, 'job with a hostile name');
        const page = await browser.newPage({ javaScript: true });
        await signIn(user, page);
        await go(page, 'jobs', 'My print jobs');
        const cell = page.locator(`tr[data-job="${up.json.id}"] td.name`);
        await cell.waitFor();
        assert.equal(await cell.textContent(), EVIL, 'the name is shown as typed');
        assert.equal(await page.locator('td.name img, td.name script').count(), 0, 'no element made from the name');
        assert.equal(await page.evaluate(() => window.__xss), undefined, 'nothing ran');
        assert.equal(await cell.locator('bdi').count(), 1, 'the name is isolated (RTL override stays inside)');
        await page.getByRole('button', { name: `Delete ${EVIL}` }).click();
        await page.getByText(/was deleted/).waitFor();
    });

    test('the admin manages the users of the org; a user is refused by the API', async () => {
        const page = await browser.newPage({ javaScript: true });
        await signIn(cust.admin, page);
        await go(page, 'users', /Users of Acme Print GmbH/);
        await page.locator('tr', { hasText: user.username }).waitFor();
        const uname = `new.${Date.now().toString(36)}`;
        await page.getByLabel('Username').fill(uname);
        await page.getByLabel('First name').fill('Grace');
        await page.getByLabel('Last name').fill('Hopper');
        await page.getByLabel('Password (optional: left empty, one is generated)').fill('short');
        await page.getByRole('button', { name: 'Create user' }).click();
        const err = page.locator('#new-password-error');
        await err.waitFor();
        assert.match(await err.textContent(), /password/i, 'the API\'s message next to the password field');
        await page.getByLabel('Password (optional: left empty, one is generated)').fill('');
        await page.getByRole('button', { name: 'Create user' }).click();
        // The users page is the customer admin's module now (web/src/admin/users.js; its own
        // flows in portal_admin.test.js): the one-time password in a "shown once" dialog, a
        // user's panel with the details and the account actions.
        const once = page.getByRole('dialog', { name: `One-time password for ${uname}` });
        await once.waitFor();
        await once.getByRole('button', { name: 'I have copied it' }).click();
        const row = page.locator('tr', { hasText: uname });
        await row.getByRole('button', { name: `Manage ${uname}` }).click();
        await page.locator(`#edit-${await row.getAttribute('data-user')}-last_name`).fill('Murray Hopper');
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await page.getByText(`User ${uname} saved.`).waitFor();
        await row.getByText('Grace Murray Hopper').waitFor();
        await page.getByRole('button', { name: `Deactivate ${uname}` }).click();
        await row.getByText('Inactive').waitFor();
        await axe(page, 'users');
        await shot(page, 'users');

        const upage = await browser.newPage({ javaScript: true });
        await signIn(user, upage);
        assert.equal(await upage.getByRole('link', { name: 'Users' }).count(), 0, 'no Users link for a user');
        await upage.goto(`${base}/#/users`);
        await upage.getByRole('alert').filter({ hasText: 'You may not see this page' }).waitFor();
    });

    test('AUTH-1 a first sign-in with a one-time password chooses one\'s own, then reaches the portal', async () => {
        const r = await srv.request('POST', `/api/v1/orgs/${cust.org.id}/users`, {
            token: cust.token, body: { username: `first.${Date.now().toString(36)}`, role: 'customer_user' } });
        assertStatus(r, 201, 'a user with a generated one-time password');
        const page = await browser.newPage({ javaScript: true });
        await page.goto(`${base}/`);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByLabel('Organization').fill(cust.org.slug);
        await page.getByLabel('Username').fill(r.json.username);
        await page.getByLabel('Password').fill(r.json.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { name: `Choose a password for ${r.json.username}` }).waitFor();
        const own = strongPassword();
        await page.getByLabel('New password').fill(own);
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByRole('heading', { name: 'Password saved' }).waitFor();
        await page.getByRole('link', { name: 'Sign in' }).click();
        await page.getByLabel('Organization').fill(cust.org.slug);
        await page.getByLabel('Username').fill(r.json.username);
        await page.getByLabel('Password').fill(own);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
    });

    test('AUTH-8 a PIN the admin had made is shown to the user once, at the next sign-in', async () => {
        const u = await createUser(srv, cust.token, cust.org, { role: 'customer_user', extra: { first_name: 'Pia' } });
        const g = await srv.request('POST', `/api/v1/users/${u.id}/pin`, { token: cust.token });
        assertStatus(g, 202, 'generated');
        assert.equal(g.json.delivery, 'next_sign_in');
        const page = await browser.newPage({ javaScript: true });
        await signIn(u, page);
        const note = page.getByTestId('new-pin');
        await note.waitFor();
        const shown = (await note.textContent()).match(/\d{4,8}/)?.[0];
        assert.ok(shown, 'the PIN is in the notice');
        await axe(page, 'home with the new PIN');
        await page.reload();
        await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
        await page.getByText('My print quota this month').waitFor();
        assert.equal(await page.getByTestId('new-pin').count(), 0, 'shown once');
        await page.close();
    });

    test('AUTH-2 the password changes; the API\'s message stands next to the field', async () => {
        const page = await browser.newPage({ javaScript: true });
        await signIn(user, page);
        await go(page, 'password', 'Change password');
        await page.getByLabel('Current password').fill('Wrong-password-1');
        await page.getByLabel('New password', { exact: true }).fill(strongPassword());
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.locator('#pw-current-error').filter({ hasText: 'current password is wrong' }).waitFor();
        const fresh = strongPassword();
        await page.getByLabel('Current password').fill(user.password);
        await page.getByLabel('New password', { exact: true }).fill(fresh);
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.getByText('Your password was changed.').waitFor();
        user.password = fresh;
        assert.equal((await srv.request('POST', '/api/v1/auth/login', { body: { org: user.slug, username: user.username, password: fresh } })).status, 200);
    });

    test('AUTH-7 sign out ends the token and the browser session', async () => {
        const page = await browser.newPage({ javaScript: true });
        let bearer = null;
        page.on('request', (r) => {
            const a = r.headers().authorization;
            if (a && a.startsWith('Bearer ')) bearer = a.slice(7);
        });
        await signIn(user, page);
        assert.ok(bearer, 'the portal used a bearer token');
        await page.getByRole('button', { name: 'Sign out' }).click();
        await page.getByText('You are signed out.').waitFor();
        const me = await srv.request('GET', '/api/v1/me', { token: bearer });
        assert.equal(me.status, 401, 'the access token is revoked');
        await page.reload();
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        assert.equal(await page.getByRole('heading', { name: /Welcome/ }).count(), 0, 'the browser session is over');
        const cookies = await page.context().cookies(base);
        assert.ok(!cookies.some((c) => c.name === '__Host-quire_session' && c.value), 'the session cookie is gone');
    });

    test('AUTH-12 another site cannot make the portal act (CSRF): cookies alone authorize nothing', async () => {
        const page = await browser.newPage({ javaScript: true });
        await signIn(user, page);
        const evil = await startSite({
            '/csrf': `<!DOCTYPE html><title>evil</title><form id="f" method="post" action="${base}/api/v1/auth/signout"></form>`
                + `<form id="g" method="post" action="${base}/api/v1/me/password" enctype="text/plain">`
                + '<input name=\'{"current_password":"x","new_password":"Evil-password-1","a":"\' value=\'"}\'></form>',
            '/code': `<!DOCTYPE html><title>evil</title><a id="a" href="${base}/callback?code=stolen&state=x">win</a>`,
        });
        try {
            const other = await page.context().newPage();
            const seen = [];
            other.on('response', (r) => r.url().startsWith(base) && seen.push(r.status()));
            await other.goto(`${evil.origin}/csrf`);
            await Promise.all([other.waitForNavigation(), other.evaluate(() => document.getElementById('f').submit())]);
            await other.goto(`${evil.origin}/csrf`);
            await Promise.all([other.waitForNavigation(), other.evaluate(() => document.getElementById('g').submit())]);
            assert.equal(seen[0], 401, 'sign-out refused: the API takes bearer tokens only');
            assert.ok(seen[1] === 401 || seen[1] === 415, `password change refused (${seen[1]})`);
            assert.equal((await srv.request('POST', '/api/v1/auth/login',
                { body: { org: user.slug, username: user.username, password: user.password } })).status, 200, 'password unchanged');
            // A forged callback from another site: refused, and the browser session signs in.
            await other.goto(`${evil.origin}/code`);
            await other.click('#a');
            await other.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
            await page.reload();
            await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
        } finally {
            await evil.close();
        }
    });

    test('AUTH-7 idle logout: a warning after 14 minutes, signed out at 15 (browser clock)', async () => {
        const page = await browser.newPage({ javaScript: true });
        await page.clock.install();
        await signIn(user, page);
        await page.clock.fastForward('14:05');
        const dialog = page.getByRole('alertdialog', { name: 'Still there?' });
        await dialog.waitFor();
        await axe(page, 'the idle warning');
        await shot(page, 'idle-warning');
        await page.getByRole('button', { name: 'Stay signed in' }).click();
        await dialog.waitFor({ state: 'detached' });
        await page.clock.fastForward('14:05');
        await dialog.waitFor();
        await page.clock.fastForward('01:00');
        await page.getByText('You were signed out after 15 minutes without activity.').waitFor();
    });

    test('German from the browser, switchable', async () => {
        const page = await browser.newPage({ javaScript: true });
        await page.goto(`${base}/`);
        await page.getByLabel('Language').selectOption('de');
        await page.getByRole('button', { name: 'Anmelden' }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
        await shot(page, 'signed-out-de');
    });
});
