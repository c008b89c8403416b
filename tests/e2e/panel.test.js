// SPDX-License-Identifier: Apache-2.0
// AUTH-8, AUTH-9, AUTH-5, SEC-2: logging in at an MFP panel by password, PIN (both modes)
// and ID card; PINs masked for everyone but their owner; failures throttled per device.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, assertError, createOrgTree, tokenOf, uniq, strongPassword } from './lib/server.js';

let srv;
let tree;
let device;

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'print_manager', 'guest_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.pA.token, body: { license: { devices: 1 } } }), 200);
    const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial: 'PANEL-1' } });
    assertStatus(d, 201);
    device = d.json;
});

after(async () => {
    if (srv)
        await srv.stop();
});

async function deviceToken() {
    const r = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${device.client_id}:${device.client_secret}`).toString('base64') } });
    assertStatus(r, 200, 'device token');
    return r.json.access_token;
}

const panel = async (body) => srv.request('POST', '/api/v1/device/login', { token: await deviceToken(), body });

describe('panel login', () => {
    test('AUTH-8 username + PIN: the user chooses a PIN of an allowed length and sees it; others see a mask', async () => {
        const u = tree.cA.users.customer_user;
        const t = await tokenOf(srv, u);
        assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '123' } }), 400, 'length 3 not allowed');
        assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '12a4' } }), 400, 'digits only');
        const set = await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '4821' } });
        assertStatus(set, 200);
        assert.equal(set.json.pin, '4821');
        assert.equal((await srv.request('GET', '/api/v1/me/pin', { token: t })).json.pin, '4821', 'the owner sees the PIN');
        const asAdmin = await srv.request('GET', `/api/v1/users/${u.id}`, { token: tree.cA.token });
        assert.equal(asAdmin.json.pin, '****', 'the admin sees a mask');
        const r = await panel({ method: 'pin', username: u.username, pin: '4821' });
        assertStatus(r, 200, 'PIN login');
        assert.equal(r.json.user.username, u.username);
        assert.equal(r.json.expires_in, 300);
        const me = await srv.request('GET', '/api/v1/me', { token: r.json.access_token });
        assertStatus(me, 200, 'the panel token acts for the user');
        assertStatus(await panel({ method: 'pin', username: u.username, pin: '4822' }), 401, 'wrong PIN');
    });

    test('a one-time password opens no panel session: the person is told to choose their own first', async () => {
        const username = `onetime.${uniq()}`;
        const c = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/users`,
            { token: tree.cA.token, body: { username, role: 'customer_user', active: true } });
        assertStatus(c, 201, 'user created without a password');
        const oneTime = c.json.password;
        const r = await panel({ method: 'password', username, password: oneTime });
        assertError(r, 403, 'password_change_required');
        assert.match(r.json.message, /portal/);
        assert.equal(r.json.access_token, undefined, 'no session token');
        // The refusal is not a failure: the account is not on its way to a lockout.
        for (let i = 0; i < 3; i++)
            assertError(await panel({ method: 'password', username, password: oneTime }), 403, 'password_change_required');
        const t = await srv.login(tree.cA.org.slug, username, oneTime);
        const own = strongPassword();
        assertStatus(await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: oneTime, new_password: own } }), 204, 'own password chosen');
        const ok = await panel({ method: 'password', username, password: own });
        assertStatus(ok, 200, 'then the panel signs in');
        assertStatus(await srv.request('GET', '/api/v1/me', { token: ok.json.access_token }), 200);
    });

    test('AUTH-5 wrong PINs count toward the lockout', async () => {
        const u = tree.cA.users.print_manager;
        const t = await tokenOf(srv, u);
        assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '55667' } }), 200);
        for (let i = 0; i < 3; i++)
            assertStatus(await panel({ method: 'pin', username: u.username, pin: '00000' }), 401);
        assertStatus(await panel({ method: 'pin', username: u.username, pin: '55667' }), 401, 'locked: the right PIN is refused');
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: u.slug, username: u.username, password: u.password } }), 401, 'locked everywhere');
        await srv.advanceClock(30 * 60);
        // The admins' 15-minute tokens have expired meanwhile.
        tree.cA.token = await tokenOf(srv, tree.cA.admin);
        tree.pA.token = await tokenOf(srv, tree.pA.admin);
    });

    test('AUTH-5 wrong passwords at the panel count toward the lockout', async () => {
        const u = tree.cA.users.guest_user;
        for (let i = 0; i < 3; i++)
            assertStatus(await panel({ method: 'password', username: u.username, password: `Wrong-pass-${i}` }), 401, `wrong password ${i + 1}`);
        assertStatus(await panel({ method: 'password', username: u.username, password: u.password }), 401, 'locked: the right password is refused at the panel');
        assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: u.slug, username: u.username, password: u.password } }), 401, 'and at the login API');
        await srv.advanceClock(30 * 60);
        assertStatus(await panel({ method: 'password', username: u.username, password: u.password }), 200, 'unlocked after 30 minutes');
        tree.cA.token = await tokenOf(srv, tree.cA.admin);
        tree.pA.token = await tokenOf(srv, tree.pA.admin);
    });

    test('AUTH-8 PIN-only mode: PINs are always generated, unique, and identify the user alone', async () => {
        const p = await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.cA.token, body: { pin_mode: 'pin_only', pin_lengths: [6] } });
        assertStatus(p, 200);
        assert.equal(p.json.pin_mode, 'pin_only');
        const u = tree.cA.users.guest_user;
        const t = await tokenOf(srv, u);
        const chosen = await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '123456' } });
        assertStatus(chosen, 400, 'no chosen PINs in pin_only mode');
        assert.equal(chosen.json.error, 'invalid_pin');
        const gen = await srv.request('POST', '/api/v1/me/pin', { token: t, body: {} });
        assertStatus(gen, 200);
        assert.match(gen.json.pin, /^\d{6}$/);
        const r = await panel({ method: 'pin', pin: gen.json.pin });
        assertStatus(r, 200, 'PIN alone');
        assert.equal(r.json.user.username, u.username);
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.cA.token, body: { pin_lengths: [3] } }), 400, 'bad lengths');
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.cA.token, body: { pin_mode: 'user_pin', pin_lengths: [4, 5, 6, 8] } }), 200);
    });

    test('AUTH-9 a card is registered at the panel, then logs its user in; user and admin list and delete it', async () => {
        const u = tree.cA.users.customer_user;
        const portal = await tokenOf(srv, u);
        assertStatus(await srv.request('POST', '/api/v1/me/cards', { token: portal, body: { number: '04A1B2C3D4' } }), 403, 'not at a panel');
        const atPanel = (await panel({ method: 'pin', username: u.username, pin: '4821' })).json.access_token;
        const reg = await srv.request('POST', '/api/v1/me/cards', { token: atPanel, body: { number: '04A1B2C3D4' } });
        assertStatus(reg, 201);
        assert.equal(reg.json.number, '****C3D4');
        const byCard = await panel({ method: 'card', card: '04A1B2C3D4' });
        assertStatus(byCard, 200, 'card login');
        assert.equal(byCard.json.user.username, u.username);
        const mine = await srv.request('GET', '/api/v1/me/cards', { token: portal });
        assert.deepEqual(mine.json.items.map((c) => c.number), ['****C3D4']);
        const admin = await srv.request('GET', `/api/v1/users/${u.id}/cards`, { token: tree.cA.token });
        assertStatus(admin, 200);
        assert.equal(admin.json.items.length, 1);
        assert.ok(!JSON.stringify(admin.json).includes('04A1B2C3D4'), 'never the whole number');
        assertStatus(await srv.request('GET', `/api/v1/users/${u.id}/cards`, { token: tree.pA.token }), 404, 'not the provider');
        assertStatus(await srv.request('DELETE', `/api/v1/users/${u.id}/cards/${reg.json.id}`, { token: tree.cA.token }), 204);
        assertStatus(await panel({ method: 'card', card: '04A1B2C3D4' }), 401, 'deleted card');
    });

    test('AUTH-8 failures are throttled per device; user tokens cannot use the device endpoint', async () => {
        const user = await tokenOf(srv, tree.cA.users.customer_user);
        assertStatus(await srv.request('POST', '/api/v1/device/login', { token: user, body: { method: 'card', card: 'AAAA1111' } }), 401);
        // The limit (20 per clock minute) counts per minute of the server's clock, which runs
        // on from the test's offset: the loop may straddle the turn of a minute once, so 41
        // attempts put at least 21 into one minute (25 failed once in a busy CI run).
        let last;
        for (let i = 0; i < 41; i++) {
            last = await panel({ method: 'card', card: `FFFF${1000 + i}` });
            if (last.status === 429)
                break;
        }
        assertStatus(last, 429, 'the device is throttled');
        await srv.advanceClock(61);
        assertStatus(await panel({ method: 'card', card: 'FFFF0000' }), 401, 'a minute later it may try again');
    });
});

test('DEV-3 disabling the device ends the panel sessions opened through it', async () => {
    const u = tree.cA.users.customer_user;
    const admin = await tokenOf(srv, tree.cA.admin);
    const atPanel = (await panel({ method: 'pin', username: u.username, pin: '4821' })).json.access_token;
    assertStatus(await srv.request('GET', '/api/v1/me', { token: atPanel }), 200);
    assertStatus(await srv.request('PATCH', `/api/v1/devices/${device.id}`, { token: admin, body: { enabled: false } }), 200);
    assertStatus(await srv.request('GET', '/api/v1/me', { token: atPanel }), 401, 'panel token of a disabled device');
    assertStatus(await srv.request('POST', '/api/v1/me/cards', { token: atPanel, body: { number: 'ABCD1234' } }), 401);
    assertStatus(await srv.request('PATCH', `/api/v1/devices/${device.id}`, { token: admin, body: { enabled: true } }), 200);
});

test('AUTH-8 a panel token acts with the user\'s full identity (org and role)', async () => {
    const admin = tree.cA.admin;
    const t = await tokenOf(srv, admin);
    const set = await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '93417' } });
    assertStatus(set, 200);
    const atPanel = (await panel({ method: 'pin', username: admin.username, pin: '93417' })).json.access_token;
    // An org-level read and write that need the principal's org path.
    assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: atPanel }), 200);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: atPanel, body: { name: 'Customer A' } }), 200);
});
