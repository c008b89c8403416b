// SPDX-License-Identifier: Apache-2.0
// DEV-2, REP-1, REP-2, TEN-3: devices report prints, copies and scans; the customer admin
// reads the org's log, a user only their own, nobody outside the org anything.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, createOrgTree, tokenOf } from './lib/server.js';

let srv;
let tree;
let device;
let deviceToken;

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'print_manager'] }],
        ['cB', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.pA.token, body: { license: { devices: 1 } } }), 200);
    device = (await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial: 'LOG-1' } })).json;
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${device.client_id}:${device.client_secret}`).toString('base64') } });
    deviceToken = t.json.access_token;
});

after(async () => {
    if (srv)
        await srv.stop();
});

const report = (body) => srv.request('POST', '/api/v1/device/log', { token: deviceToken, body });

describe('job log', () => {
    test('DEV-2 a device reports jobs; REP-1 the customer admin reads them with user and device', async () => {
        const u = tree.cA.users.customer_user;
        assertStatus(await report({ user_id: u.id, type: 'print', pages: 3, copies: 2, color: true, duplex: true }), 201);
        assertStatus(await report({ type: 'copy', pages: 2, color: false, duplex: false }), 201);
        const log = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: tree.cA.token });
        assertStatus(log, 200);
        assert.equal(log.json.items.length, 2);
        assert.equal(log.json.next, null, 'REP-1 one page: no next cursor (paging: exports.test.js)');
        const [copy, print] = log.json.items;
        assert.equal(copy.type, 'copy');
        assert.equal(copy.user_id, null);
        assert.deepEqual({ type: print.type, pages: print.pages, copies: print.copies, color: print.color, duplex: print.duplex, username: print.username, device_serial: print.device_serial },
            { type: 'print', pages: 3, copies: 2, color: true, duplex: true, username: u.username, device_serial: 'LOG-1' });
    });

    test('REP-2 TEN-3 a user sees only their own log; others see nothing', async () => {
        const user = await tokenOf(srv, tree.cA.users.customer_user);
        const mine = await srv.request('GET', '/api/v1/me/log', { token: user });
        assertStatus(mine, 200);
        assert.ok(mine.json.items.length >= 1);
        assert.ok(mine.json.items.every((e) => e.user_id === tree.cA.users.customer_user.id));
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: user }), 404, 'customer user');
        const pm = await tokenOf(srv, tree.cA.users.print_manager);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: pm }), 404, 'print manager');
        assert.equal((await srv.request('GET', '/api/v1/me/log', { token: pm })).json.items.length, 0);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: tree.pA.token }), 404, 'parent provider');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: tree.cB.token }), 404, 'sibling customer');
    });

    test('DEV-2 bad reports are refused and record nothing; user tokens cannot report', async () => {
        const before = (await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: tree.cA.token })).json.items.length;
        for (const body of [{ type: 'fax', pages: 1, color: false, duplex: false },
            { type: 'print', pages: -1, color: false, duplex: false },
            { type: 'print', pages: 1, color: 'yes', duplex: false },
            { type: 'print', pages: 1, color: false, duplex: false, user_id: tree.cB.users.customer_user.id },
            { type: 'print', pages: 1, color: false, duplex: false, extra: 1 }])
            assertStatus(await report(body), 400, JSON.stringify(body));
        const user = await tokenOf(srv, tree.cA.users.customer_user);
        assertStatus(await srv.request('POST', '/api/v1/device/log', { token: user, body: { type: 'print', pages: 1, color: false, duplex: false } }), 401);
        const after = (await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: tree.cA.token })).json.items.length;
        assert.equal(after, before);
    });

    test('REP-1 the log can be read for a period', async () => {
        await srv.advanceClock(100);
        assertStatus(await report({ type: 'scan', pages: 5, color: false, duplex: false }), 201);
        const t = await srv.clockNow();
        const r = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log?from=${t - 10}&to=${t}`, { token: await tokenOf(srv, tree.cA.admin) });
        assertStatus(r, 200);
        assert.deepEqual(r.json.items.map((e) => e.type), ['scan']);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log?from=x`, { token: await tokenOf(srv, tree.cA.admin) }), 400);
    });
});
