// SPDX-License-Identifier: Apache-2.0
// AUTH-1, AUTH-5, AUTH-6, AUTH-7, AUTH-12, SEC-4: the sign-in pages in a real browser
// (Debian's Chromium through playwright-core) with JavaScript switched off: a person signs
// in to an application, types an emailed code, resets a forgotten password, activates an
// invitation; another site can neither frame the page nor post its forms.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, assertStatus, strongPassword, replaceOneTimePassword } from './lib/server.js';
import { startMail, linkIn } from './lib/mail.js';
import { startBrowser, startSite } from './lib/browser.js';

let srv;
let mail;
let browser;
let site;
let rootToken;
let client;

const redirectUri = () => `${site.origin}/cb`;
const codeOf = (msg) => msg.raw.match(/sign-in code is (?:<strong>)?(\d{6})/)[1];

before(async () => {
    mail = await startMail();
    srv = await startServer({ env: mail.env });
    site = await startSite({});
    browser = await startBrowser(srv);
    rootToken = await srv.rootToken();
    const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
        token: rootToken, body: { name: 'Portal', public: true, redirect_uris: [redirectUri()] } });
    assertStatus(r, 201, 'register the application');
    client = r.json;
});

after(async () => {
    if (browser)
        await browser.close();
    if (site)
        await site.close();
    if (srv)
        await srv.stop();
    if (mail)
        await mail.stop();
});

/** An authorization request of the application, with its PKCE verifier, state and nonce. */
function authRequest(clientId = client.client_id) {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const state = crypto.randomBytes(8).toString('hex');
    const nonce = crypto.randomBytes(8).toString('hex');
    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri(),
        scope: 'openid profile', state, nonce,
        code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256' });
    return { url: `https://localhost:${srv.port}/oauth/authorize?${q}`, verifier, state, nonce };
}

/** Waits until the browser is back at the application; returns the callback URL. */
async function backAtApp(page) {
    await page.waitForURL((u) => u.href.startsWith(redirectUri()));
    return new URL(page.url());
}

/** Redeems the code like the application's back end would; returns the token answer. */
async function redeem(req, callback) {
    assert.equal(callback.searchParams.get('state'), req.state, 'state round-trips');
    assert.equal(callback.searchParams.get('iss'), `https://localhost:${srv.port}`, 'RFC 9207 iss');
    const r = await srv.request('POST', '/oauth/token', {
        rawBody: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code'),
            redirect_uri: redirectUri(), client_id: client.client_id, code_verifier: req.verifier }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assertStatus(r, 200, 'code exchange');
    const claims = JSON.parse(Buffer.from(r.json.id_token.split('.')[1], 'base64url'));
    assert.equal(claims.nonce, req.nonce, 'nonce round-trips');
    return { ...r.json, claims };
}

async function fillLogin(page, username, password) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
}

async function newUser(token, orgId, { email, invite = false, role = 'provider_support' } = {}) {
    const username = `web${crypto.randomBytes(3).toString('hex')}`;
    const password = invite ? undefined : strongPassword();
    const r = await srv.request('POST', `/api/v1/orgs/${orgId}/users`, {
        token, body: { username, role, email, ...(invite ? { invite: true } : { password }) } });
    assertStatus(r, 201, 'create user');
    return { username, password, id: r.json.id };
}

describe('sign-in pages in Chromium, JavaScript off', () => {
    test('AUTH-7 a person signs in to an application; the session cookie is __Host-, Secure, HttpOnly, SameSite', async () => {
        const page = await browser.newPage();
        const req = authRequest();
        await page.goto(req.url);
        assert.equal(await page.title(), 'Sign in to quire');
        await fillLogin(page, srv.root.username, srv.root.password);
        const tokens = await redeem(req, await backAtApp(page));
        assert.equal(tokens.claims.aud, client.client_id);
        const ui = await srv.request('GET', '/oauth/userinfo', { token: tokens.access_token });
        assert.equal(ui.json.preferred_username, srv.root.username);
        const cookies = await page.context().cookies(`https://localhost:${srv.port}/`);
        const session = cookies.find((c) => c.name === '__Host-quire_session');
        assert.ok(session, 'session cookie kept by the browser');
        assert.equal(session.secure, true);
        assert.equal(session.httpOnly, true);
        assert.equal(session.path, '/');
        assert.equal(session.sameSite, 'Lax');
        // Signed in: the next authorization request returns at once, without the form.
        const again = authRequest();
        await page.goto(again.url);
        await redeem(again, await backAtApp(page));
    });

    test('AUTH-7 a wrong password keeps the person on the page with a message; 15 minutes idle asks again', async () => {
        const page = await browser.newPage();
        const req = authRequest();
        await page.goto(req.url);
        await fillLogin(page, srv.root.username, 'Wrong-password-1');
        assert.match(await page.getByRole('alert').textContent(), /wrong/);
        assert.equal(await page.getByLabel('Username').count(), 1, 'the form is shown again');
        await fillLogin(page, srv.root.username, srv.root.password);
        await redeem(req, await backAtApp(page));
        await srv.advanceClock(15 * 60 + 1);
        const later = authRequest();
        await page.goto(later.url);
        assert.equal(await page.title(), 'Sign in to quire', 'idle session ended');
    });

    test('AUTH-12 another site cannot frame the sign-in page (frame-ancestors, X-Frame-Options)', async () => {
        const req = authRequest();
        const framing = await startSite({ '/frame': `<!DOCTYPE html><title>evil</title><h1>Win a prize</h1><iframe name="f" src="${req.url}"></iframe>` });
        try {
            const page = await browser.newPage();
            const blocked = [];
            page.on('console', (m) => blocked.push(m.text()));
            const loaded = page.waitForResponse((r) => r.url().startsWith(`https://localhost:${srv.port}/oauth/authorize`));
            await page.goto(`${framing.origin}/frame`);
            const res = await loaded;
            assert.equal(res.status(), 200, 'the server answered the frame request');
            const frame = page.frames().find((f) => f !== page.mainFrame());
            assert.ok(frame, 'the iframe exists');
            assert.equal(await frame.locator('input[name=password]').count(), 0, 'no login form inside the frame');
            assert.ok(!frame.url().startsWith(`https://localhost:${srv.port}`), `frame shows ${frame.url()}`);
        } finally {
            await framing.close();
        }
    });

    test('SEC-4 a form posted from another site is refused and signs nobody in (CSRF, Origin)', async () => {
        const req = authRequest();
        const attack = await startSite({ '/attack': `<!DOCTYPE html><title>evil</title>
            <form method="post" action="https://localhost:${srv.port}/login">
            <input type="hidden" name="csrf" value="${'A'.repeat(43)}">
            <input type="hidden" name="org" value="${srv.root.slug}">
            <input type="hidden" name="return_to" value="${new URL(req.url).search.slice(1)}">
            <input type="hidden" name="username" value="${srv.root.username}">
            <input type="hidden" name="password" value="${srv.root.password}">
            <button type="submit">Claim</button></form>` });
        try {
            const page = await browser.newPage();
            await page.goto(req.url); // the person has the real page open (and its CSRF cookie)
            await page.goto(`${attack.origin}/attack`);
            const [res] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Claim' }).click()]);
            assert.equal(res.status(), 403);
            assert.match(await page.textContent('body'), /did not come from this site/);
            const cookies = await page.context().cookies(`https://localhost:${srv.port}/`);
            assert.equal(cookies.find((c) => c.name === '__Host-quire_session'), undefined, 'no session');
            assert.equal(site.requests.filter((u) => u.pathname === '/cb' && u.searchParams.get('state') === req.state).length, 0);
        } finally {
            await attack.close();
        }
    });

    test('AUTH-1 an invited person activates the account from the emailed link, then signs in', async () => {
        const email = `web-invite-${Date.now()}@example.com`;
        const u = await newUser(await srv.rootToken(), srv.root.orgId, { email, invite: true });
        const link = linkIn((await mail.waitFor(email))[0], '/activate');
        const page = await browser.newPage();
        await page.goto(link.href);
        assert.match(await page.textContent('h1'), new RegExp(`Choose a password for ${u.username}`));
        await page.getByLabel('New password').fill(`${u.username}-Pass-1!`);
        await page.getByRole('button', { name: 'Save' }).click();
        assert.match(await page.getByRole('alert').textContent(), /username/, 'AUTH-2 rule named');
        const password = strongPassword();
        await page.getByLabel('New password').fill(password);
        await page.getByRole('button', { name: 'Save' }).click();
        assert.match(await page.textContent('body'), /Your account is active/);
        const req = authRequest();
        await page.goto(req.url);
        await fillLogin(page, u.username, password);
        const tokens = await redeem(req, await backAtApp(page));
        assert.equal(tokens.claims.sub, u.id);
        await page.goto(link.href);
        assert.match(await page.textContent('body'), /already used/, 'the link works once');
    });
});

describe('email codes and password reset in Chromium', () => {
    let org;
    let adminToken;

    before(async () => {
        const slug = `webmfa-${Date.now() % 1000000}`;
        const r = await srv.request('POST', '/api/v1/orgs', { token: await srv.rootToken(), body: {
            parent_id: srv.root.orgId, type: 'provider', name: 'Web MFA Dealer', slug,
            admin: { username: 'webadmin', email: `webadmin-${Date.now()}@example.com` } } });
        assertStatus(r, 201, 'org with admin');
        org = { id: r.json.id, slug };
        adminToken = await replaceOneTimePassword(srv, { slug, username: 'webadmin', password: r.json.admin.password });
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${org.id}`, { token: adminToken, body: { mfa_email: true } }), 200);
        const c = await srv.request('POST', `/api/v1/orgs/${org.id}/clients`, {
            token: adminToken, body: { name: 'Dealer portal', public: true, redirect_uris: [redirectUri()] } });
        assertStatus(c, 201);
        org.clientId = c.json.client_id;
    });

    test('AUTH-6 after the password the emailed code is asked for; a typo may be corrected', async () => {
        const email = `web-mfa-${Date.now()}@example.com`;
        const u = await newUser(adminToken, org.id, { email });
        const page = await browser.newPage();
        const req = authRequest(org.clientId);
        await page.goto(req.url);
        await fillLogin(page, u.username, u.password);
        assert.equal(await page.title(), 'Enter your code');
        const code = codeOf((await mail.waitFor(email))[0]);
        await page.getByLabel('Code').fill(code === '000000' ? '000001' : '000000');
        await page.getByRole('button', { name: 'Sign in' }).click();
        assert.match(await page.getByRole('alert').textContent(), /wrong or has expired/);
        await page.getByLabel('Code').fill(code);
        await page.getByRole('button', { name: 'Sign in' }).click();
        const callback = await backAtApp(page);
        assert.equal(callback.searchParams.get('state'), req.state);
        assert.ok(callback.searchParams.get('code'));
    });

    test('AUTH-5 a locked-out person resets the password from the sign-in page; the reset unlocks and MFA still follows', async () => {
        const email = `web-reset-${Date.now()}@example.com`;
        const u = await newUser(adminToken, org.id, { email });
        const page = await browser.newPage();
        const req = authRequest(org.clientId);
        await page.goto(req.url);
        for (let i = 0; i < 3; i++)
            await fillLogin(page, u.username, `Wrong-password-${i}`);
        await fillLogin(page, u.username, u.password);
        assert.match(await page.getByRole('alert').textContent(), /wrong, or the account is locked/, 'locked');

        await page.getByRole('link', { name: 'Forgot your password?' }).click();
        assert.equal(await page.title(), 'Reset your password');
        await page.getByLabel('Username').fill(u.username);
        await page.getByRole('button', { name: 'Send the link' }).click();
        assert.match(await page.textContent('body'), /If the account exists/);
        const link = linkIn((await mail.waitFor(email))[0], '/reset');
        assert.ok(link, 'reset link mailed');

        const mailPage = await browser.newPage(); // the link opens from the mail client
        await mailPage.goto(link.href);
        const password = strongPassword();
        await mailPage.getByLabel('New password').fill(password);
        await mailPage.getByRole('button', { name: 'Save' }).click();
        assert.match(await mailPage.textContent('body'), /unlocked/);

        await page.getByRole('link', { name: 'Back to sign in' }).click();
        await fillLogin(page, u.username, password);
        assert.equal(await page.title(), 'Enter your code', 'a reset never skips MFA');
        const msgs = await mail.waitFor(email, 2);
        await page.getByLabel('Code').fill(codeOf(msgs.at(-1)));
        await page.getByRole('button', { name: 'Sign in' }).click();
        const callback = await backAtApp(page);
        assert.equal(callback.searchParams.get('state'), req.state);
    });
});
