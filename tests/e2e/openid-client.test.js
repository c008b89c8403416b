// SPDX-License-Identifier: Apache-2.0
// AUTH-7, AUTH-11: quired against openid-client, a certified OpenID Connect relying party:
// discovery, code + PKCE through the real login page, ID token validation, userinfo,
// refresh rotation and reuse detection, client credentials, introspection, revocation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer, assertStatus } from './lib/server.js';

const REDIRECT = 'http://127.0.0.1:9/rp/callback';
let srv;

before(async () => {
    srv = await startServer();
});

after(async () => {
    if (srv)
        await srv.stop();
});

test('AUTH-7 openid-client completes the whole sign-in and token life cycle', async () => {
    const token = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
    const pub = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
        token, body: { name: 'Relying party', public: true, redirect_uris: [REDIRECT] } });
    assertStatus(pub, 201);
    const conf = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
        token, body: { name: 'Integration' } });
    assertStatus(conf, 201);
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'rp.mjs');
    const out = await new Promise((resolve, reject) => {
        execFile(process.execPath, [script], {
            timeout: 60000,
            env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(srv.dataDir, 'tls', 'cert.pem'),
                RP_ISSUER: `https://localhost:${srv.port}`, RP_CLIENT_ID: pub.json.client_id,
                RP_REDIRECT: REDIRECT, RP_USERNAME: srv.root.username, RP_PASSWORD: srv.root.password,
                RP_CONF_ID: conf.json.client_id, RP_CONF_SECRET: conf.json.client_secret },
        }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`relying party failed: ${stderr || err.message}\n${srv.logTail(20)}`));
            else
                resolve(JSON.parse(stdout));
        });
    });
    assert.equal(out.issuer, `https://localhost:${srv.port}`);
    assert.match(out.sub, /^[0-9a-f]{32}$/);
    assert.equal(out.aud, pub.json.client_id);
    assert.equal(out.userinfo_username, srv.root.username);
    assert.equal(out.rotated, true);
    assert.equal(out.reuse_error, 'invalid_grant');
    assert.equal(out.after_reuse_error, 'invalid_grant', 'reuse revoked the family');
    assert.equal(out.cc_token_type.toLowerCase(), 'bearer');
    assert.equal(out.cc_active, true);
    assert.equal(out.user_token_active_after_reuse, false);
    assert.equal(out.revocation_ok, true);
    assert.equal(out.live_active_before, true, 'a live access token is active');
    assert.equal(out.live_active_after, false, 'AUTH-7 revoking the refresh token ends its access token');
    assert.equal(out.live_refresh_active_after, false);
    assert.ok(out.live_userinfo_error, 'userinfo refuses the revoked access token');
    assert.equal(out.live_refresh_error, 'invalid_grant', 'the revoked refresh token no longer refreshes');
    assert.equal(out.other_refresh_error, 'invalid_grant', 'revoking an access token ends its session');
});
