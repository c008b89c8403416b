// SPDX-License-Identifier: Apache-2.0
// DEV-1, DEV-3, AUTH-11, TEN-3, TEN-5: devices registered by a customer admin within the
// license, with client credentials that stop working at once when the device is disabled
// or deleted.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, createOrgTree, tokenOf } from './lib/server.js';

let srv;
let tree;

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
        ['pB', { type: 'provider' }],
    ]);
    const lic = await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, {
        token: tree.pA.token, body: { license: { devices: 2 } } });
    assertStatus(lic, 200, 'the parent sets the device license');
});

after(async () => {
    if (srv)
        await srv.stop();
});

const form = (fields, basic) => srv.request('POST', '/oauth/token', {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: 'Basic ' + Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64') } });

async function deviceToken(dev) {
    const r = await form({ grant_type: 'client_credentials' }, [dev.client_id, dev.client_secret]);
    return r;
}

describe('devices', () => {
    let devs = [];

    test('DEV-1 TEN-5 a customer admin registers MFPs up to the license, then gets a clear error', async () => {
        for (const serial of ['MFP-0001', 'MFP-0002']) {
            const r = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, {
                token: tree.cA.token, body: { serial, model: 'Example 5000', hostname: 'mfp.local', ip: '192.0.2.10' } });
            assertStatus(r, 201, serial);
            assert.equal(r.json.serial, serial);
            assert.ok(r.json.client_secret, 'the secret is shown once');
            devs.push(r.json);
        }
        const third = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, {
            token: tree.cA.token, body: { serial: 'MFP-0003' } });
        assertStatus(third, 409);
        assert.equal(third.json.error, 'license_exceeded');
        assert.match(third.json.message, /allows 2 devices/);
        const list = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token });
        assertStatus(list, 200);
        assert.equal(list.json.items.length, 2);
        assert.ok(list.json.items.every((d) => d.client_secret === undefined), 'no secret in lists');
    });

    test('DEV-1 bad input is refused and changes nothing', async () => {
        for (const body of [{ serial: 'bad serial!' }, { serial: 'X1', ip: '999.1.1.1' }, { serial: 'X2', hostname: 'a b' }, { serial: 'MFP-0001' }, {}]) {
            const r = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body });
            assert.ok([400, 409].includes(r.status), `${JSON.stringify(body)} -> ${r.status}`);
        }
        const list = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token });
        assert.equal(list.json.items.length, 2);
    });

    test('AUTH-11 a device signs in with client credentials; device and user tokens do not mix', async () => {
        const t = await deviceToken(devs[0]);
        assertStatus(t, 200, 'device token');
        const self = await srv.request('GET', '/api/v1/device', { token: t.json.access_token });
        assertStatus(self, 200);
        assert.equal(self.json.serial, 'MFP-0001');
        assertStatus(await srv.request('GET', '/api/v1/me', { token: t.json.access_token }), 401, 'device token on a user endpoint');
        assertStatus(await srv.request('GET', '/api/v1/device', { token: tree.cA.token }), 401, 'user token on the device endpoint');
    });

    test('DEV-3 disabling or deleting a device stops its credentials and tokens at once', async () => {
        const t = (await deviceToken(devs[1])).json.access_token;
        let r = await srv.request('PATCH', `/api/v1/devices/${devs[1].id}`, { token: tree.cA.token, body: { enabled: false } });
        assertStatus(r, 200);
        assert.equal(r.json.enabled, false);
        assertStatus(await srv.request('GET', '/api/v1/device', { token: t }), 401, 'token of a disabled device');
        r = await deviceToken(devs[1]);
        assertStatus(r, 401, 'credentials of a disabled device');
        assert.equal(r.json.error, 'invalid_client');
        await srv.request('PATCH', `/api/v1/devices/${devs[1].id}`, { token: tree.cA.token, body: { enabled: true } });
        assertStatus(await srv.request('GET', '/api/v1/device', { token: t }), 200, 'enabled again');
        assertStatus(await srv.request('DELETE', `/api/v1/devices/${devs[1].id}`, { token: tree.cA.token }), 204);
        assertStatus(await srv.request('GET', '/api/v1/device', { token: t }), 401, 'token of a deleted device');
        assertStatus(await deviceToken(devs[1]), 401, 'credentials of a deleted device');
        // The place is free again under the license.
        const again = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial: 'MFP-0003' } });
        assertStatus(again, 201);
    });

    test('TEN-3 devices: the parent provider admin sees them, a customer user and other providers do not', async () => {
        const asParent = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.pA.token });
        assertStatus(asParent, 200, 'provider admin of the parent');
        const user = await tokenOf(srv, tree.cA.users.customer_user);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: user }), 404, 'customer user');
        assertStatus(await srv.request('GET', `/api/v1/devices/${devs[0].id}`, { token: user }), 404, 'customer user, by id');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.pB.token }), 404, 'another provider');
        assertStatus(await srv.request('DELETE', `/api/v1/devices/${devs[0].id}`, { token: tree.pB.token }), 404, 'another provider deletes');
        assertStatus(await srv.request('PATCH', `/api/v1/devices/${devs[0].id}`, { token: user, body: { enabled: false } }), 404, 'customer user disables');
    });
});
