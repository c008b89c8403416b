// SPDX-License-Identifier: Apache-2.0
// Issue 13, the admin actions a dealer needs: a provider's help with a direct child's admins
// (TEN-2/TEN-3 stay strict otherwise), `quire user reset-password`, admin-generated PINs
// (AUTH-8), usernames unique after case folding and NFC (AUTH-3), device secret rotation
// (DEV-3, AUTH-11). Against a real quired and a real SMTP server.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrgTree, createUser, tokenOf, strongPassword,
    run, QUIRE, uniq,
} from './lib/server.js';
import { startMail, linkIn } from './lib/mail.js';

let srv;
let mail;
let tree;

before(async () => {
    mail = await startMail();
    srv = await startServer({ env: mail.env });
    // root -> dealer (provider) -> cust (customer) and deeper (customer of a sub-dealer).
    tree = await createOrgTree(srv, [
        ['dealer', { type: 'provider', users: ['provider_support'] }],
        ['cust', { parent: 'dealer', type: 'customer', users: ['customer_user', 'print_manager'] }],
        ['sub', { parent: 'dealer', type: 'provider' }],
        ['deep', { parent: 'sub', type: 'customer' }],
        ['other', { type: 'customer' }],
    ]);
});

after(async () => {
    if (srv)
        await srv.stop();
    if (mail)
        await mail.stop();
});

const as = (token, body) => (body === undefined ? { token } : { token, body });

async function lockOut(user) {
    for (let i = 0; i < 3; i++)
        await srv.request('POST', '/api/v1/auth/login', { body: { org: user.slug, username: user.username, password: `Wrong-pass-${i}!` } });
    const r = await srv.request('POST', '/api/v1/auth/login', { body: { org: user.slug, username: user.username, password: user.password } });
    assertStatus(r, 401, `${user.username} is locked`);
}

async function auditOf(orgId, token) {
    const a = await srv.request('GET', `/api/v1/orgs/${orgId}/audit?limit=500`, as(token));
    assertStatus(a, 200, 'audit log');
    return a.json.items;
}

describe('a provider helps a direct child with its admins', () => {
    test('list the child admins, not its other users; deeper and other orgs are 404', async () => {
        const dealer = tree.dealer;
        const support = await tokenOf(srv, dealer.users.provider_support);
        for (const [who, token] of [['admin', dealer.token], ['support', support]]) {
            const r = await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(token));
            assertStatus(r, 200, `${who} lists the child's admins`);
            assert.deepEqual(r.json.items.map((u) => u.username), [tree.cust.admin.username]);
            const a = r.json.items[0];
            for (const k of ['id', 'username', 'first_name', 'last_name', 'email', 'active', 'locked'])
                assert.ok(k in a, `the admin entry has ${k}`);
            assert.equal(a.locked, false);
            assert.ok(!r.text.includes(tree.cust.users.customer_user.username), 'TEN-3: no ordinary user');
            assert.ok(!('pin' in a), 'nothing about PINs');
        }
        // TEN-3 stays strict: the child's users, deeper descendants, other orgs.
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/users`, as(dealer.token)), 404, 'not_found');
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.deep.org.id}/admins`, as(dealer.token)), 404, 'not_found');
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.other.org.id}/admins`, as(dealer.token)), 404, 'not_found');
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(tree.cust.token)), 404, 'not_found');
        const user = await tokenOf(srv, tree.cust.users.customer_user);
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(user)), 404, 'not_found');
    });

    test('AUTH-5 support unlocks the child admin; audited in both orgs; non-admins and deeper 404', async () => {
        const admin = tree.cust.admin;
        await lockOut(admin);
        const support = await tokenOf(srv, tree.dealer.users.provider_support);
        const l = await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(support));
        assert.equal(l.json.items[0].locked, true, 'the list shows the lock');
        assertStatus(await srv.request('POST', `/api/v1/users/${admin.id}/unlock`, as(support)), 204, 'unlock');
        tree.cust.token = await tokenOf(srv, admin);

        // The child's ordinary user, a deeper admin, another org's admin: not found.
        await lockOut(tree.cust.users.customer_user);
        for (const u of [tree.cust.users.customer_user, tree.deep.admin, tree.other.admin])
            assertError(await srv.request('POST', `/api/v1/users/${u.id}/unlock`, as(tree.dealer.token)), 404, 'not_found', u.username);

        const child = await auditOf(tree.cust.org.id, tree.cust.token);
        const supportId = tree.dealer.users.provider_support.id;
        assert.ok(child.some((e) => e.action === 'account_unlocked' && e.actor_id === supportId && e.target_id === admin.id),
            'audited in the child');
        const own = await auditOf(tree.dealer.org.id, tree.dealer.token);
        assert.ok(own.some((e) => e.action === 'child_account_unlocked' && e.actor_id === supportId && e.target_id === admin.id),
            'audited in the provider');
    });

    test('AUTH-5 a reset link for the child admin by mail; no email is 409 naming the CLI', async () => {
        const email = `custadmin-${uniq()}@example.com`;
        const patch = await srv.request('PATCH', '/api/v1/me', as(tree.cust.token, { email }));
        assertStatus(patch, 200, 'the admin sets an email');
        const r = await srv.request('POST', `/api/v1/users/${tree.cust.admin.id}/password-reset`, as(tree.dealer.token));
        assertStatus(r, 202, 'reset link sent');
        assert.equal(r.json.delivery, 'email');
        const msgs = await mail.waitFor(email);
        const link = linkIn(msgs[0], '/reset');
        assert.ok(link, 'the mail holds a reset link');
        const fresh = strongPassword();
        const done = await srv.request('POST', '/api/v1/auth/password-reset/complete', { body: { token: link.searchParams.get('token'), password: fresh } });
        assertStatus(done, [200, 204], 'complete the reset');
        tree.cust.admin.password = fresh;
        tree.cust.token = await tokenOf(srv, tree.cust.admin);

        const noMail = tree.sub.admin;
        const e = await srv.request('POST', `/api/v1/users/${noMail.id}/password-reset`, as(tree.dealer.token));
        assertError(e, 409, 'no_email');
        assert.match(e.json.message, /quire user reset-password/);
        assertError(await srv.request('POST', `/api/v1/users/${tree.deep.admin.id}/password-reset`, as(tree.dealer.token)), 404, 'not_found');
        assertError(await srv.request('POST', `/api/v1/users/${tree.cust.users.customer_user.id}/password-reset`, as(tree.dealer.token)), 404, 'not_found');
        const own = await auditOf(tree.dealer.org.id, tree.dealer.token);
        assert.ok(own.some((x) => x.action === 'child_password_reset_sent' && x.target_id === tree.cust.admin.id));
        const child = await auditOf(tree.cust.org.id, tree.cust.token);
        assert.ok(child.some((x) => x.action === 'password_reset_sent' && x.target_id === tree.cust.admin.id));
    });

    test('a provider admin (not support) adds an invited admin to the child', async () => {
        const email = `newadmin-${uniq()}@example.com`;
        const username = `second.${uniq()}`;
        const support = await tokenOf(srv, tree.dealer.users.provider_support);
        assertError(await srv.request('POST', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(support, { username, email })), 403, 'forbidden');
        assertError(await srv.request('POST', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(tree.dealer.token, { username, email, role: 'customer_user' })), 400, 'invalid_request');
        assertError(await srv.request('POST', `/api/v1/orgs/${tree.deep.org.id}/admins`, as(tree.dealer.token, { username, email })), 404, 'not_found');
        const r = await srv.request('POST', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(tree.dealer.token, { username, email, first_name: 'Ada' }));
        assertStatus(r, 201, 'admin added');
        assert.equal(r.json.role, 'customer_admin');
        assert.equal(r.json.invited, true);
        assert.equal(r.json.active, false, 'active once the invitation is used');
        const msgs = await mail.waitFor(email);
        assert.ok(linkIn(msgs[0], '/activate'), 'an invitation link');
        const l = await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}/admins`, as(tree.dealer.token));
        assert.ok(l.json.items.some((u) => u.username === username));
        const own = await auditOf(tree.dealer.org.id, tree.dealer.token);
        assert.ok(own.some((x) => x.action === 'child_admin_added' && x.target_id === r.json.id));
        const child = await auditOf(tree.cust.org.id, tree.cust.token);
        assert.ok(child.some((x) => x.action === 'user_created' && x.target_id === r.json.id));
    });
});

describe('quire user reset-password, for when no mail is configured', () => {
    test('AUTH-5 a one-time password printed once; unlocks, ends sessions, must be changed, audited', async () => {
        const org = tree.cust.org;
        const u = await createUser(srv, tree.cust.token, org, { role: 'customer_user' });
        const before = await srv.login(u.slug, u.username, u.password);
        await lockOut(u);
        const r = await run(QUIRE, ['user', 'reset-password', '--org', org.slug, '--user', u.username, '--json'], srv.env);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(out.user_id, u.id);
        assert.equal(out.username, u.username);
        assert.equal(typeof out.password, 'string');
        assert.ok(out.password.length >= 8);

        const refresh = await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: before.refresh_token } });
        assertStatus(refresh, 401, 'the old session has ended');
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: u.slug, username: u.username, password: u.password } }), 401, 'old password');
        const t = await srv.login(u.slug, u.username, out.password);
        const me = await srv.request('GET', '/api/v1/me', as(t.access_token));
        assert.equal(me.json.password_change_required, true, 'the one-time password must be replaced');
        assertError(await srv.request('GET', '/api/v1/me/log', as(t.access_token)), 403, 'password_change_required');
        const fresh = strongPassword();
        assertStatus(await srv.request('POST', '/api/v1/me/password', as(t.access_token, { current_password: out.password, new_password: fresh })), 204);

        const text = await run(QUIRE, ['user', 'reset-password', '--org', org.slug, '--user', u.username], srv.env);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /one-time password: \S{8,}/);

        const audit = await auditOf(org.id, tree.cust.token);
        const rows = audit.filter((e) => e.action === 'password_reset_by_operator' && e.target_id === u.id);
        assert.equal(rows.length, 2, 'each reset audited');
        assert.ok(!JSON.stringify(audit).includes(out.password), 'no password in the audit log');
    });

    test('bad arguments exit 2 with one line; an unknown user or org exits 1 naming it', async () => {
        for (const args of [['user'], ['user', 'reset-password'], ['user', 'reset-password', '--org', 'x'],
            ['user', 'reset-password', '--org', 'x', '--user', 'y', '--bogus'], ['user', 'frobnicate']]) {
            const r = await run(QUIRE, args, srv.env);
            assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
            assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
        }
        const nouser = await run(QUIRE, ['user', 'reset-password', '--org', tree.cust.org.slug, '--user', 'nobody.here'], srv.env);
        assert.equal(nouser.code, 1);
        assert.match(nouser.stderr, /no user 'nobody.here' in organization/);
        const noorg = await run(QUIRE, ['user', 'reset-password', '--org', 'no-such-org', '--user', 'x'], srv.env);
        assert.equal(noorg.code, 1);
        assert.match(noorg.stderr, /no organization with slug 'no-such-org'/);
    });
});

/** Registers a device in org (its provider raises the license first); returns {id, client_id, client_secret}. */
async function newDevice(org, adminToken, providerToken) {
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${org.id}`, as(providerToken, { license: { devices: 5 } })), 200, 'license');
    const d = await srv.request('POST', `/api/v1/orgs/${org.id}/devices`, as(adminToken, { serial: `SER-${uniq()}` }));
    assertStatus(d, 201, 'device');
    return d.json;
}

async function deviceToken(d) {
    return srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64') } });
}

async function panel(d, body) {
    const t = await deviceToken(d);
    assertStatus(t, 200, 'device token');
    return srv.request('POST', '/api/v1/device/login', { token: t.json.access_token, body });
}

describe('AUTH-8 an admin has a new PIN generated for a user, never shown to the admin', () => {
    let dev;
    before(async () => {
        dev = await newDevice(tree.cust.org, tree.cust.token, tree.dealer.token);
    });

    test('no email: shown once to the user at the next sign-in; the panel takes it at once', async () => {
        const u = await createUser(srv, tree.cust.token, tree.cust.org, { role: 'customer_user' });
        const r = await srv.request('POST', `/api/v1/users/${u.id}/pin`, as(tree.cust.token));
        assertStatus(r, 202, 'generated');
        assert.deepEqual(r.json, { delivery: 'next_sign_in' }, 'the admin learns how, not what');
        const masked = await srv.request('GET', `/api/v1/users/${u.id}`, as(tree.cust.token));
        assert.equal(masked.json.pin, '****');

        const t = await tokenOf(srv, u);
        const first = await srv.request('GET', '/api/v1/me/pin', as(t));
        assertStatus(first, 200);
        const lengths = (await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}`, as(tree.cust.token))).json.pin_lengths;
        assert.match(first.json.pin, new RegExp(`^\\d{${Math.max(...lengths)}}$`), `the longest of ${lengths} is drawn`);
        assert.equal(first.json.new, true, 'new once');
        const again = await srv.request('GET', '/api/v1/me/pin', as(t));
        assert.equal(again.json.pin, first.json.pin);
        assert.equal(again.json.new, false);
        const p = await panel(dev, { method: 'pin', username: u.username, pin: first.json.pin });
        assertStatus(p, 200, 'the panel accepts the generated PIN');
        assert.equal(p.json.user.id, u.id);

        const audit = await auditOf(tree.cust.org.id, tree.cust.token);
        const gen = audit.filter((e) => e.action === 'pin_generated' && e.target_id === u.id);
        assert.equal(gen.length, 1);
        assert.equal(gen[0].actor_id, tree.cust.admin.id);
        assert.ok(!JSON.stringify(audit).includes(first.json.pin), 'no PIN in the audit log');
    });

    test('with an email: mailed to the user only', async () => {
        const email = `pin-${uniq()}@example.com`;
        const u = await createUser(srv, tree.cust.token, tree.cust.org, { role: 'customer_user', extra: { email } });
        const r = await srv.request('POST', `/api/v1/users/${u.id}/pin`, as(tree.cust.token));
        assertStatus(r, 202);
        assert.deepEqual(r.json, { delivery: 'email' });
        const msgs = await mail.waitFor(email);
        assert.match(msgs[0].raw, /Subject: Your new quire PIN/);
        const m = msgs[0].raw.match(/Your PIN: (\d+)/);
        assert.ok(m, 'the mail holds the PIN');
        const lengths = (await srv.request('GET', `/api/v1/orgs/${tree.cust.org.id}`, as(tree.cust.token))).json.pin_lengths;
        assert.equal(m[1].length, Math.max(...lengths));
        assertStatus(await panel(dev, { method: 'pin', username: u.username, pin: m[1] }), 200, 'panel login');
        const t = await tokenOf(srv, u);
        const own = await srv.request('GET', '/api/v1/me/pin', as(t));
        assert.equal(own.json.pin, m[1]);
        assert.equal(own.json.new, false, 'delivered by mail, not pending');
    });

    test('TEN-3 admins only: print manager, user, provider and other orgs are refused', async () => {
        const target = await createUser(srv, tree.cust.token, tree.cust.org, { role: 'customer_user' });
        const pm = await tokenOf(srv, tree.cust.users.print_manager);
        assertError(await srv.request('POST', `/api/v1/users/${target.id}/pin`, as(pm)), 404, 'not_found', 'print manager');
        const user = await tokenOf(srv, target);
        assertError(await srv.request('POST', `/api/v1/users/${target.id}/pin`, as(user)), 403, 'forbidden', 'oneself');
        assertError(await srv.request('POST', `/api/v1/users/${target.id}/pin`, as(tree.dealer.token)), 404, 'not_found', 'provider');
        assertError(await srv.request('POST', `/api/v1/users/${target.id}/pin`, as(tree.other.token)), 404, 'not_found', 'other org');
    });

    test('pin_only mode: a unique PIN of the allowed length identifies the user at the panel', async () => {
        const org = tree.other.org;
        const d = await newDevice(org, tree.other.token, await srv.rootToken());
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${org.id}`, as(tree.other.token, { pin_mode: 'pin_only', pin_lengths: [8] })), 200);
        const u = await createUser(srv, tree.other.token, org, { role: 'customer_user' });
        assertStatus(await srv.request('POST', `/api/v1/users/${u.id}/pin`, as(tree.other.token)), 202);
        const t = await tokenOf(srv, u);
        const pin = (await srv.request('GET', '/api/v1/me/pin', as(t))).json.pin;
        assert.match(pin, /^\d{8}$/);
        const p = await panel(d, { method: 'pin', pin });
        assertStatus(p, 200);
        assert.equal(p.json.user.id, u.id);
    });
});

describe('AUTH-3 usernames are unique regardless of case and Unicode form', () => {
    test('a colliding name is 409 naming the existing one; sign-in by any case finds the user', async () => {
        const org = tree.cust.org;
        const base = `ann.${uniq()}`;
        const u = await createUser(srv, tree.cust.token, org, { role: 'customer_user', username: base });
        const dup = await srv.request('POST', `/api/v1/orgs/${org.id}/users`, as(tree.cust.token, { username: base.toUpperCase(), role: 'customer_user', password: strongPassword() }));
        assertError(dup, 409, 'conflict');
        assert.ok(dup.json.message.includes(`'${base}'`), `names the existing username: ${dup.json.message}`);

        const composed = `j\u00f6hn.${uniq()}`;
        await createUser(srv, tree.cust.token, org, { role: 'customer_user', username: composed });
        const decomposed = composed.normalize('NFD');
        assert.notEqual(decomposed, composed, 'two encodings of the same name');
        const d = await srv.request('POST', `/api/v1/orgs/${org.id}/users`, as(tree.cust.token, { username: decomposed, role: 'customer_user', password: strongPassword() }));
        assertError(d, 409, 'conflict', 'NFD of an existing NFC name');

        for (const name of [base.toUpperCase(), base[0].toUpperCase() + base.slice(1)]) {
            const t = await srv.request('POST', '/api/v1/auth/login', { body: { org: org.slug, username: name, password: u.password } });
            assertStatus(t, 200, `sign in as ${name}`);
        }
        // Other orgs keep their own namespace.
        await createUser(srv, tree.other.token, tree.other.org, { role: 'customer_user', username: base.toUpperCase() });
    });

    test('legacy duplicates are reported at start, listed by quire user duplicates, and sign in by their exact name', async () => {
        const org = tree.cust.org;
        const base = `leg.${uniq()}`;
        const first = await createUser(srv, tree.cust.token, org, { role: 'customer_user', username: base });
        const second = await createUser(srv, tree.cust.token, org, { role: 'customer_user', username: `other.${uniq()}` });
        // As an older quire wrote them: the same name in upper case, without the key column.
        const legacyId = uniq(16);
        await srv.sql(`UPDATE users SET username = '${base.toUpperCase()}', username_key = NULL, created_at = created_at + 1 WHERE id = '${second.id}'`);
        await srv.sql(`UPDATE users SET id = '${legacyId}' WHERE id = '${second.id}'`);
        await srv.restart();
        const log = srv.logTail(200);
        assert.match(log, new RegExp(`username_duplicates.*${org.slug}`), 'a log line for the org');

        const r = await run(QUIRE, ['user', 'duplicates'], srv.env);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
        assert.deepEqual(lines.map((l) => [l[0], l[1], l[2]]),
            [[org.slug, base, first.id], [org.slug, base.toUpperCase(), legacyId]], 'both accounts, oldest first');

        const exact = await srv.request('POST', '/api/v1/auth/login', { body: { org: org.slug, username: base.toUpperCase(), password: second.password } });
        assertStatus(exact, 200, 'the legacy account by its exact name');
        const me = await srv.request('GET', '/api/v1/me', as(exact.json.access_token));
        assert.equal(me.json.id, legacyId);
        const other = await srv.request('POST', '/api/v1/auth/login', { body: { org: org.slug, username: base[0].toUpperCase() + base.slice(1), password: first.password } });
        assertStatus(other, 200, 'any other form finds the first account');
        assert.equal((await srv.request('GET', '/api/v1/me', as(other.json.access_token))).json.id, first.id);
    });
});

describe('DEV-3, AUTH-11 a device secret is rotated: the old one and its tokens stop at once', () => {
    test('the customer admin rotates; the new secret is shown once; old credentials and tokens refused', async () => {
        const d = await newDevice(tree.cust.org, tree.cust.token, tree.dealer.token);
        const oldTok = await deviceToken(d);
        assertStatus(oldTok, 200);
        assertStatus(await srv.request('GET', '/api/v1/device', as(oldTok.json.access_token)), 200, 'works before');

        const r = await srv.request('POST', `/api/v1/devices/${d.id}/secret`, as(tree.cust.token));
        assertStatus(r, 200, 'rotated');
        assert.equal(r.json.id, d.id);
        assert.equal(r.json.serial, d.serial);
        assert.equal(typeof r.json.client_secret, 'string');
        assert.notEqual(r.json.client_secret, d.client_secret);
        assert.notEqual(r.json.client_id, d.client_id);

        assertStatus(await srv.request('GET', '/api/v1/device', as(oldTok.json.access_token)), 401, 'the old token stops at once');
        assertStatus(await deviceToken(d), [400, 401], 'the old secret is refused');
        const fresh = { client_id: r.json.client_id, client_secret: r.json.client_secret };
        const t = await deviceToken(fresh);
        assertStatus(t, 200, 'the new secret works');
        const self = await srv.request('GET', '/api/v1/device', as(t.json.access_token));
        assertStatus(self, 200);
        assert.equal(self.json.id, d.id);
        const got = await srv.request('GET', `/api/v1/devices/${d.id}`, as(tree.cust.token));
        assert.equal(got.json.client_id, r.json.client_id);
        assert.ok(!('client_secret' in got.json), 'shown once');

        const audit = await auditOf(tree.cust.org.id, tree.cust.token);
        assert.ok(audit.some((e) => e.action === 'device_secret_rotated' && e.target_id === d.id && e.actor_id === tree.cust.admin.id));
        assert.ok(!JSON.stringify(audit).includes(r.json.client_secret), 'no secret in the audit log');
    });

    test('TEN-3 devices: the provider admin may rotate; users, print managers and other orgs get 404', async () => {
        const d = await newDevice(tree.cust.org, tree.cust.token, tree.dealer.token);
        const r = await srv.request('POST', `/api/v1/devices/${d.id}/secret`, as(tree.dealer.token));
        assertStatus(r, 200, 'provider admin');
        const pm = await tokenOf(srv, tree.cust.users.print_manager);
        assertError(await srv.request('POST', `/api/v1/devices/${d.id}/secret`, as(pm)), 404, 'not_found', 'print manager');
        const user = await createUser(srv, tree.cust.token, tree.cust.org, { role: 'customer_user' });
        assertError(await srv.request('POST', `/api/v1/devices/${d.id}/secret`, as(await tokenOf(srv, user))), 404, 'not_found', 'user');
        assertError(await srv.request('POST', `/api/v1/devices/${d.id}/secret`, as(tree.other.token)), 404, 'not_found', 'other org');
        const t = await deviceToken({ client_id: r.json.client_id, client_secret: r.json.client_secret });
        assertStatus(t, 200, 'the provider-rotated secret works');
    });
});
