// SPDX-License-Identifier: Apache-2.0
// AUTH-1, AUTH-5: invitations and password resets by email, against a real SMTP server with
// STARTTLS; the tests read the mail and follow its link like a person would.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, strongPassword, replaceOneTimePassword } from './lib/server.js';
import { startMail, linkIn } from './lib/mail.js';

let srv;
let mail;
let rootToken;

before(async () => {
    mail = await startMail();
    srv = await startServer({ env: mail.env });
    rootToken = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
});

after(async () => {
    if (srv)
        await srv.stop();
    if (mail)
        await mail.stop();
});

const cookieOf = (res, name) => (res.headers['set-cookie'] || []).map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
const hidden = (html, name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];

async function newUser(email, extra = {}) {
    const username = `mailer${Math.random().toString(36).slice(2, 8)}`;
    const password = strongPassword();
    const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/users`, {
        token: rootToken, body: { username, role: 'provider_support', email, password, ...extra } });
    assertStatus(r, 201, 'create user');
    return { username, password, id: r.json.id };
}

/** Opens a link from a mail in the "browser" and submits the password form. */
async function followLink(url, password) {
    const page = await srv.request('GET', url.pathname + url.search);
    assertStatus(page, 200, 'link page');
    assert.match(page.text, /Choose a password/);
    const csrf = cookieOf(page, '__Host-quire_csrf');
    const body = new URLSearchParams({ csrf: hidden(page.text, 'csrf'), token: hidden(page.text, 'token'), password });
    return srv.request('POST', url.pathname, { rawBody: body.toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-quire_csrf=${csrf}` } });
}

describe('email links', () => {
    test('AUTH-5 a password reset by emailed link unlocks the account and is single use', async () => {
        const email = `reset-${Date.now()}@example.com`;
        const u = await newUser(email);
        for (let i = 0; i < 3; i++)
            await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username: u.username, password: `Wrong-pass-${i}` } });
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username: u.username, password: u.password } }), 401, 'locked');

        const r = await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: srv.root.slug, username: u.username } });
        assertStatus(r, 202);
        const msgs = await mail.waitFor(email);
        assert.equal(msgs.length, 1, 'one reset mail');
        assert.equal(msgs[0].secure, true, 'delivered over STARTTLS');
        assert.match(msgs[0].raw, /Subject: Reset your quire password/);
        assert.match(msgs[0].raw, /text\/plain/);
        assert.match(msgs[0].raw, /text\/html/);
        const link = linkIn(msgs[0], '/reset');
        assert.ok(link, 'the mail holds a reset link');

        const weak = await followLink(link, 'short');
        assertStatus(weak, 400, 'AUTH-2 still applies');
        assert.match(weak.text, /8/);
        const fresh = strongPassword();
        const done = await followLink(link, fresh);
        assertStatus(done, 200, 'reset');
        assert.match(done.text, /unlocked/);
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username: u.username, password: fresh } }), 200, 'new password, unlocked');
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username: u.username, password: u.password } }), 401, 'old password');
        assertStatus(await srv.request('GET', link.pathname + link.search), 400, 'the link works once');
    });

    test('AUTH-5 reset requests reveal nothing and links expire after 30 minutes', async () => {
        const email = `expire-${Date.now()}@example.com`;
        const u = await newUser(email);
        const before = mail.messages.length;
        const r = await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: srv.root.slug, username: 'no-such-user' } });
        assertStatus(r, 202);
        const same = await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: srv.root.slug, username: u.username } });
        assert.deepEqual(same.json, r.json, 'same answer for known and unknown users');
        // Mail leaves in order: once the known user's has arrived, any for the unknown would have.
        const link = linkIn((await mail.waitFor(email))[0], '/reset');
        assert.equal(mail.messages.length, before + 1, 'no mail for an unknown user');
        await srv.advanceClock(30 * 60 + 1);
        assertStatus(await srv.request('GET', link.pathname + link.search), 400, 'expired');
        const api = await srv.request('POST', '/api/v1/auth/password-reset/complete', { body: { token: link.searchParams.get('token'), password: strongPassword() } });
        assertStatus(api, 400);
        assert.equal(api.json.error, 'invalid_token');
    });

    test('AUTH-1 an invited account logs in only after activation by its emailed link', async () => {
        rootToken = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
        const email = `invite-${Date.now()}@example.com`;
        const username = `invitee${Date.now() % 100000}`;
        const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/users`, {
            token: rootToken, body: { username, role: 'provider_support', email, invite: true } });
        assertStatus(r, 201, 'invite');
        assert.equal(r.json.active, false);
        assert.equal(r.json.password, undefined, 'no password is made for an invited user');
        const msg = mail.to(email)[0];
        assert.match(msg.raw, /Subject: Your quire account is ready/);
        const link = linkIn(msg, '/activate');
        assert.ok(link);
        const password = strongPassword();
        const act = await srv.request('POST', '/api/v1/auth/activate', { body: { token: link.searchParams.get('token'), password } });
        assertStatus(act, 204, 'activate');
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username, password } }), 200, 'login after activation');
        const again = await srv.request('POST', '/api/v1/auth/activate', { body: { token: link.searchParams.get('token'), password } });
        assertStatus(again, 400, 'single use');
    });

    test('SEC-4 forged posts to /forgot, /reset and /activate are refused and change nothing', async () => {
        const forged = (path, fields, headers = {}) => srv.request('POST', path, {
            rawBody: new URLSearchParams(fields).toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
        // A reset link, then forged uses of it: no CSRF cookie, a token that differs from the
        // cookie, a foreign Origin.
        const email = `forged-${Date.now()}@example.com`;
        const u = await newUser(email);
        assertStatus(await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: srv.root.slug, username: u.username } }), 202);
        const link = linkIn((await mail.waitFor(email))[0], '/reset');
        const page = await srv.request('GET', link.pathname + link.search);
        const csrf = cookieOf(page, '__Host-quire_csrf');
        const token = link.searchParams.get('token');
        const evil = strongPassword();
        await srv.advanceClock(61); // past the one-mail-a-minute gap: an accepted /forgot would mail
        for (const [what, fields, headers] of [
            ['no CSRF cookie', { csrf, token, password: evil }, {}],
            ['CSRF token differs', { csrf: 'A'.repeat(43), token, password: evil }, { Cookie: `__Host-quire_csrf=${csrf}` }],
            ['foreign Origin', { csrf, token, password: evil }, { Cookie: `__Host-quire_csrf=${csrf}`, Origin: 'https://evil.example' }],
        ]) {
            assertStatus(await forged('/reset', fields, headers), 403, `/reset: ${what}`);
            assertStatus(await forged('/activate', fields, headers), 403, `/activate: ${what}`);
            assertStatus(await forged('/forgot', { csrf: fields.csrf, org: srv.root.slug, return_to: '', username: u.username }, headers), 403, `/forgot: ${what}`);
        }
        assertStatus(await srv.tryLogin(srv.root.slug, u.username, evil), 401, 'the forged password was not set');
        assertStatus(await srv.tryLogin(srv.root.slug, u.username, u.password), 200, 'the old one still works');
        const fresh = strongPassword();
        assertStatus(await followLink(link, fresh), 200, 'the link still works');
        assertStatus(await srv.tryLogin(srv.root.slug, u.username, fresh), 200);
        // The forged /forgot posts sent nothing: the only mails to this address are the
        // reset requested above and none other once a later mail has arrived.
        const other = `forged-sync-${Date.now()}@example.com`;
        const v = await newUser(other);
        assertStatus(await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: srv.root.slug, username: v.username } }), 202);
        await mail.waitFor(other);
        assert.equal(mail.to(email).length, 1, 'no mail from the forged /forgot posts');
    });

    test('AUTH-1 an invitation without email address is refused and creates nothing', async () => {
        const username = `noemail${Date.now() % 100000}`;
        const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/users`, {
            token: rootToken, body: { username, role: 'provider_support', invite: true } });
        assertStatus(r, 400);
        const list = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}/users`, { token: rootToken });
        assert.ok(!list.json.items.some((x) => x.username === username));
    });
});

describe('email MFA', () => {
    let org;
    let admin;
    const adminEmail = `mfa-admin-${Date.now()}@example.com`;

    const login = (password = admin.password) => srv.request('POST', '/api/v1/auth/login',
        { body: { org: org.slug, username: admin.username, password } });
    const codeOf = (msg) => msg.raw.match(/sign-in code is (?:<strong>)?(\d{6})/)[1];

    before(async () => {
        rootToken = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
        const slug = `mfa-${Date.now() % 1000000}`;
        const r = await srv.request('POST', '/api/v1/orgs', { token: rootToken, body: {
            parent_id: srv.root.orgId, type: 'provider', name: 'MFA Dealer', slug,
            admin: { username: 'mfaadmin', email: adminEmail } } });
        assertStatus(r, 201, 'org with admin');
        org = { id: r.json.id, slug };
        admin = { slug, username: 'mfaadmin', password: r.json.admin.password };
        const t = await replaceOneTimePassword(srv, admin); // MFA is still off
        const p = await srv.request('PATCH', `/api/v1/orgs/${org.id}`, { token: t, body: { mfa_email: true } });
        assertStatus(p, 200, 'the org admin switches email MFA on');
        assert.equal(p.json.mfa_email, true);
    });

    test('AUTH-6 after the password a 6-digit code is emailed; it works once, within 5 minutes', async () => {
        const first = await login();
        assertStatus(first, 200);
        assert.equal(first.json.mfa_required, true);
        assert.equal(first.json.access_token, undefined, 'no token before the code');
        const msgs = mail.to(adminEmail);
        const code = codeOf(msgs[msgs.length - 1]);
        const ok = await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: first.json.mfa_token, code } });
        assertStatus(ok, 200, 'code accepted');
        assert.ok(ok.json.access_token && ok.json.refresh_token);
        const again = await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: first.json.mfa_token, code } });
        assertStatus(again, 401, 'single use');
        const second = await login();
        const code2 = codeOf(mail.to(adminEmail).at(-1));
        await srv.advanceClock(5 * 60 + 1);
        assertStatus(await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: second.json.mfa_token, code: code2 } }), 401, 'expired');
    });

    test('AUTH-6 wrong codes count toward the lockout, and the lock ends the pending login', async () => {
        const pending = await login();
        const code = codeOf(mail.to(adminEmail).at(-1));
        const wrong = code === '000000' ? '000001' : '000000';
        for (let i = 0; i < 3; i++)
            assertStatus(await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: pending.json.mfa_token, code: wrong } }), 401);
        // Locked: the right code no longer works, nor does the password.
        assertStatus(await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: pending.json.mfa_token, code } }), 401, 'pending login ended');
        assertStatus(await login(), 401, 'account locked');
        await srv.advanceClock(30 * 60);
        assertStatus(await login(), 200, 'unlocked after 30 minutes');
    });

    /** A full MFA login of the org admin: its access token. */
    async function adminToken() {
        const pending = await login();
        assertStatus(pending, 200, 'admin password');
        const ok = await srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: pending.json.mfa_token, code: codeOf(mail.to(adminEmail).at(-1)) } });
        assertStatus(ok, 200, 'admin code');
        return ok.json.access_token;
    }

    /** A second user of the MFA org, and a login of theirs pending its code. */
    async function pendingUser(token) {
        const email = `mfa-user-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@example.com`;
        const u = { username: `mfau${Math.random().toString(36).slice(2, 8)}`, password: strongPassword(), email };
        const r = await srv.request('POST', `/api/v1/orgs/${org.id}/users`, { token, body: { ...u, role: 'provider_support' } });
        assertStatus(r, 201, 'create user');
        u.id = r.json.id;
        u.login = (password = u.password) => srv.request('POST', '/api/v1/auth/login', { body: { org: org.slug, username: u.username, password } });
        const pending = await u.login();
        assert.ok(pending.json.mfa_token, 'the password step asks for a code');
        u.pending = pending.json.mfa_token;
        u.code = codeOf((await mail.waitFor(email)).at(-1));
        u.redeem = () => srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: u.pending, code: u.code } });
        return u;
    }

    test('AUTH-5 a lock by wrong passwords ends a pending login, even if an admin unlocks at once', async () => {
        const token = await adminToken();
        const u = await pendingUser(token);
        for (let i = 0; i < 3; i++)
            assertStatus(await u.login(`Wrong-pass-${i}`), 401, `wrong password ${i + 1}`);
        assertStatus(await srv.request('POST', `/api/v1/users/${u.id}/unlock`, { token }), 204, 'admin unlock');
        const r = await u.redeem();
        assertStatus(r, 401, 'the code mailed before the lock no longer works');
        assert.equal(r.json.access_token, undefined);
        const again = await pendingUser(token);
        assertStatus(await again.redeem(), 200, 'a control user with the same steps but no lock signs in');
    });

    test('AUTH-5 a completed password reset ends a pending login; the new password still needs a code', async () => {
        const token = await adminToken();
        const u = await pendingUser(token);
        assertStatus(await srv.request('POST', '/api/v1/auth/password-reset', { body: { org: org.slug, username: u.username } }), 202);
        const link = linkIn((await mail.waitFor(u.email, 2)).at(-1), '/reset');
        const fresh = strongPassword();
        assertStatus(await followLink(link, fresh), 200, 'reset done');
        assertStatus(await u.redeem(), 401, 'the code of the login begun before the reset no longer works');
        const next = await u.login(fresh);
        assertStatus(next, 200);
        assert.equal(next.json.access_token, undefined, 'the reset does not skip MFA');
        assert.ok(next.json.mfa_token);
    });
});

test('AUTH-6 the password alone does not reset the count of wrong codes', async () => {
    // A second org with MFA, so this test stands alone.
    const token = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
    const slug = `mfb-${Date.now() % 1000000}`;
    const email = `mfb-${Date.now()}@example.com`;
    const r = await srv.request('POST', '/api/v1/orgs', { token, body: {
        parent_id: srv.root.orgId, type: 'provider', name: 'MFA Two', slug, admin: { username: 'mfbadmin', email } } });
    assertStatus(r, 201);
    const admin = { slug, username: 'mfbadmin', password: r.json.admin.password };
    // MFA is off: log in, choose a password, switch MFA on.
    const t = await replaceOneTimePassword(srv, admin);
    const login = () => srv.request('POST', '/api/v1/auth/login', { body: { org: slug, username: 'mfbadmin', password: admin.password } });
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${r.json.id}`, { token: t, body: { mfa_email: true } }), 200);
    const guess = async (pending) => srv.request('POST', '/api/v1/auth/mfa', { body: { mfa_token: pending, code: '000000' } });
    let p = (await login()).json.mfa_token;
    const wrong1 = await guess(p);
    const wrong2 = await guess(p);
    // Unless the code was really 000000 (one in a million), both were wrong.
    if (wrong1.status === 401 && wrong2.status === 401) {
        p = (await login()).json.mfa_token;
        assert.ok(p, 'the password is still accepted (2 failures so far)');
        assertStatus(await guess(p), 401);
        assertStatus(await login(), 401, 'the third wrong code locked the account despite the password in between');
    }
});

describe('SMTP over implicit TLS with a login', () => {
    let srv2;
    let mail2;

    before(async () => {
        mail2 = await startMail({ implicit: true, auth: { user: 'quire-mailer', pass: 'Smtp-Secret-9!' } });
        srv2 = await startServer({ env: mail2.env });
    });

    after(async () => {
        if (srv2)
            await srv2.stop();
        if (mail2)
            await mail2.stop();
    });

    test('AUTH-1 an invitation goes out over smtps:// with SMTP AUTH, from the organization by name', async () => {
        const token = (await srv2.login(srv2.root.slug, srv2.root.username, srv2.root.password)).access_token;
        const name = 'Müller & Söhne "Druck" — Zürich';
        assertStatus(await srv2.request('PATCH', `/api/v1/orgs/${srv2.root.orgId}`, { token, body: { name } }), 200, 'rename');
        const email = `owner-${Date.now()}@example.com`;
        const u = await srv2.request('POST', `/api/v1/orgs/${srv2.root.orgId}/users`, {
            token, body: { username: 'owner1', role: 'provider_support', email, invite: true } });
        assertStatus(u, 201, 'invite');
        const [msg] = await mail2.waitFor(email);
        assert.equal(msg.secure, true, 'TLS from the first byte');
        assert.equal(msg.user, 'quire-mailer', 'authenticated with the configured login');
        const from = msg.raw.match(/^From: (.*)$/m)[1];
        const words = [...from.matchAll(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/g)].map((m) => Buffer.from(m[1], 'base64'));
        assert.ok(words.length > 0, `encoded display name: ${from}`);
        assert.equal(Buffer.concat(words).toString('utf8'), name, 'RFC 2047 name decodes to the org name');
        assert.match(from, /<noreply@quire\.test>$/);
    });

    test('AUTH-1 a wrong SMTP login is reported to the admin and nothing is half-created', async () => {
        await srv2.stop();
        srv2 = null;
        const bad = await startServer({ env: { ...mail2.env, QUIRE_SMTP_PASSWORD: 'wrong' } });
        try {
            const token = (await bad.login(bad.root.slug, bad.root.username, bad.root.password)).access_token;
            const email = `nobody-${Date.now()}@example.com`;
            const r = await bad.request('POST', `/api/v1/orgs/${bad.root.orgId}/users`, {
                token, body: { username: 'invitee9', role: 'provider_support', email, invite: true } });
            assert.ok(r.status >= 500, `status ${r.status}`);
            assert.ok(r.json && r.json.error, 'a JSON error');
            const list = await bad.request('GET', `/api/v1/orgs/${bad.root.orgId}/users`, { token });
            assert.ok(!list.json.items.some((x) => x.username === 'invitee9'), 'no user without its invitation');
        } finally {
            await bad.stop();
        }
    });
});
