// SPDX-License-Identifier: Apache-2.0
// AUTH-7, AUTH-11, AUTH-12: the OAuth 2.0 token endpoint (client credentials, refresh token),
// token introspection (RFC 7662) and revocation (RFC 7009), with RFC 6749 error codes.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, createOrgTree } from './lib/server.js';

let srv;
let rootToken;

before(async () => {
    srv = await startServer();
    rootToken = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** POSTs a form to an OAuth endpoint; basic = [id, secret] for HTTP Basic client auth. */
function form(path, fields, basic) {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (basic)
        headers.Authorization = 'Basic ' + Buffer.from(
            `${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64');
    return srv.request('POST', path, { rawBody: new URLSearchParams(fields).toString(), headers });
}

async function newClient(orgId = srv.root.orgId, token = rootToken) {
    const r = await srv.request('POST', `/api/v1/orgs/${orgId}/clients`, { token, body: { name: 'Billing export' } });
    assertStatus(r, 201, 'create client');
    assert.match(r.json.client_id, /^[0-9a-f]{32}$/);
    assert.ok(r.json.client_secret.length >= 40);
    return r.json;
}

describe('OAuth 2.0 endpoints', () => {
    test('AUTH-11 client credentials grant with client_secret_basic and client_secret_post', async () => {
        const c = await newClient();
        for (const [fields, basic] of [[{ grant_type: 'client_credentials' }, [c.client_id, c.client_secret]],
            [{ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret }, null]]) {
            const r = await form('/oauth/token', fields, basic);
            assertStatus(r, 200, 'token');
            assert.equal(r.json.token_type, 'Bearer');
            assert.equal(r.json.expires_in, 900);
            assert.equal(r.json.refresh_token, undefined, 'no refresh token for client credentials');
            assert.equal(r.headers['cache-control'], 'no-store');
            const claims = JSON.parse(Buffer.from(r.json.access_token.split('.')[1], 'base64url'));
            assert.equal(claims.client_id, c.client_id);
            assert.equal(claims.org, srv.root.orgId);
            // A client token is not a user's: the user API refuses it.
            assertStatus(await srv.request('GET', '/api/v1/me', { token: r.json.access_token }), 401);
        }
        // The list never shows secrets.
        const list = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}/clients`, { token: rootToken });
        assertStatus(list, 200);
        assert.ok(list.json.items.some((x) => x.client_id === c.client_id));
        assert.ok(list.json.items.every((x) => x.client_secret === undefined));
    });

    test('AUTH-12 wrong client secret, unknown client, two auth methods: RFC 6749 errors', async () => {
        const c = await newClient();
        let r = await form('/oauth/token', { grant_type: 'client_credentials' }, [c.client_id, 'wrong']);
        assertStatus(r, 401);
        assert.equal(r.json.error, 'invalid_client');
        assert.ok(r.json.error_description);
        assert.match(r.headers['www-authenticate'], /^Basic/);
        r = await form('/oauth/token', { grant_type: 'client_credentials', client_id: '0'.repeat(32), client_secret: 'x' });
        assert.equal(r.json.error, 'invalid_client');
        r = await form('/oauth/token', { grant_type: 'client_credentials', client_secret: c.client_secret }, [c.client_id, c.client_secret]);
        assertStatus(r, 400);
        assert.equal(r.json.error, 'invalid_request');
        r = await form('/oauth/token', { grant_type: 'client_credentials' });
        assert.equal(r.json.error, 'invalid_client');
        r = await form('/oauth/token', { grant_type: 'password', username: srv.root.username, password: srv.root.password });
        assertStatus(r, 400);
        assert.equal(r.json.error, 'unsupported_grant_type', 'no password grant (RFC 6749 5.2)');
        assert.equal(r.json.access_token, undefined);
        r = await form('/oauth/token', { grant_type: 'client_credentials', audience: 'x' });
        assertStatus(r, 400);
        assert.equal(r.json.error, 'invalid_request', 'unknown form fields are refused');
        r = await form('/oauth/token', { grant_type: 'implicit' });
        assert.equal(r.json.error, 'unsupported_grant_type');
        r = await form('/oauth/token', {});
        assert.equal(r.json.error, 'invalid_request');
        r = await srv.request('POST', '/oauth/token', { body: { grant_type: 'client_credentials' } });
        assertStatus(r, 400, 'JSON instead of a form');
        assert.equal(r.json.error, 'invalid_request');
    });

    test('AUTH-7 refresh_token grant rotates, and reuse answers invalid_grant', async () => {
        const t = await srv.login(srv.root.slug, srv.root.username, srv.root.password);
        const r1 = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token });
        assertStatus(r1, 200);
        assert.notEqual(r1.json.refresh_token, t.refresh_token);
        const r2 = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token });
        assertStatus(r2, 400);
        assert.equal(r2.json.error, 'invalid_grant');
        // The reuse revoked the family: the rotated token is dead too.
        const r3 = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: r1.json.refresh_token });
        assert.equal(r3.json.error, 'invalid_grant');
    });

    test('AUTH-7 introspection (RFC 7662) needs client auth and sees only its own org', async () => {
        const c = await newClient();
        const user = await srv.login(srv.root.slug, srv.root.username, srv.root.password);
        const auth = [c.client_id, c.client_secret];
        let r = await form('/oauth/introspect', { token: user.access_token }, auth);
        assertStatus(r, 200);
        assert.equal(r.json.active, true);
        assert.equal(r.json.token_type, 'access_token');
        assert.equal(r.json.org, srv.root.orgId);
        r = await form('/oauth/introspect', { token: user.refresh_token }, auth);
        assert.equal(r.json.active, true);
        assert.equal(r.json.token_type, 'refresh_token');
        r = await form('/oauth/introspect', { token: 'not-a-token' }, auth);
        assert.deepEqual(r.json, { active: false });
        r = await form('/oauth/introspect', { token: user.access_token });
        assertStatus(r, 401, 'no client auth');
        // A client of another org learns nothing about this org's tokens.
        const tree = await createOrgTree(srv, [['pa', { type: 'provider' }]]);
        const other = await newClient(tree.pa.org.id, tree.pa.token);
        r = await form('/oauth/introspect', { token: user.access_token }, [other.client_id, other.client_secret]);
        assert.deepEqual(r.json, { active: false });
        // ... and cannot revoke them.
        assertStatus(await form('/oauth/revoke', { token: user.refresh_token }, [other.client_id, other.client_secret]), 200);
        assertStatus(await srv.request('GET', '/api/v1/me', { token: user.access_token }), 200, 'still valid');
        // Nor can that org's admin see or delete this org's clients.
        assertStatus(await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}/clients`, { token: tree.pa.token }), 404);
        assertStatus(await srv.request('DELETE', `/api/v1/clients/${c.client_id}`, { token: tree.pa.token }), 404);
    });

    test('AUTH-7 revocation (RFC 7009) ends the session; unknown tokens answer 200', async () => {
        const user = await srv.login(srv.root.slug, srv.root.username, srv.root.password);
        let r = await form('/oauth/revoke', { token: user.refresh_token, token_type_hint: 'refresh_token' });
        assertStatus(r, 200);
        assertStatus(await srv.request('GET', '/api/v1/me', { token: user.access_token }), 401, 'access token of the revoked session');
        r = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: user.refresh_token });
        assert.equal(r.json.error, 'invalid_grant');
        r = await form('/oauth/revoke', { token: 'unknown-token' });
        assertStatus(r, 200);
        const u2 = await srv.login(srv.root.slug, srv.root.username, srv.root.password);
        assertStatus(await form('/oauth/revoke', { token: u2.access_token }), 200);
        assertStatus(await srv.request('GET', '/api/v1/me', { token: u2.access_token }), 401, 'revoked access token');
    });

    test('AUTH-11 deleting a client ends its tokens; only the org admin manages clients', async () => {
        const c = await newClient();
        const tok = (await form('/oauth/token', { grant_type: 'client_credentials' }, [c.client_id, c.client_secret])).json.access_token;
        const introspector = await newClient();
        const auth = [introspector.client_id, introspector.client_secret];
        assert.equal((await form('/oauth/introspect', { token: tok }, auth)).json.active, true);
        assertStatus(await srv.request('DELETE', `/api/v1/clients/${c.client_id}`, { token: rootToken }), 204);
        assert.equal((await form('/oauth/introspect', { token: tok }, auth)).json.active, false);
        const r = await form('/oauth/token', { grant_type: 'client_credentials' }, [c.client_id, c.client_secret]);
        assert.equal(r.json.error, 'invalid_client');
        assertStatus(await srv.request('DELETE', `/api/v1/clients/${c.client_id}`, { token: rootToken }), 404);
    });
});
