// SPDX-License-Identifier: Apache-2.0
// AUTH-7: access tokens are ES256 JWTs whose keys are published as a JWKS and rotate without
// logging anyone out (the old key stays published and accepted until its tokens expire).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { startServer, assertStatus, QUIRE } from './lib/server.js';

let srv;

before(async () => {
    srv = await startServer();
});

after(async () => {
    if (srv)
        await srv.stop();
});

function header(token) {
    return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
}

/** Verifies a JWS with node's own crypto against the server's JWKS. */
function verifiedBy(jwks, token) {
    const { kid } = header(token);
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk)
        return false;
    const [h, p, s] = token.split('.');
    return crypto.verify('sha256', Buffer.from(`${h}.${p}`),
        { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
        Buffer.from(s, 'base64url'));
}

function rotate() {
    return new Promise((resolve, reject) => {
        execFile(QUIRE, ['keys', 'rotate'], { env: srv.env, timeout: 30000 }, (err, stdout, stderr) => {
            if (err)
                reject(new Error(`quire keys rotate failed: ${stderr}`));
            else
                resolve(stdout.trim().split(' ').pop());
        });
    });
}

const login = () => srv.login(srv.root.slug, srv.root.username, srv.root.password);

test('AUTH-7 access tokens are ES256 JWTs verifiable with the published JWKS', async () => {
    const { access_token: at } = await login();
    const h = header(at);
    assert.equal(h.alg, 'ES256');
    assert.equal(typeof h.kid, 'string');
    const jwks = await srv.request('GET', '/.well-known/jwks.json');
    assertStatus(jwks, 200, 'JWKS');
    for (const k of jwks.json.keys) {
        assert.equal(k.kty, 'EC');
        assert.equal(k.crv, 'P-256');
        assert.equal(k.d, undefined, 'no private key material is published');
    }
    assert.ok(verifiedBy(jwks.json, at), 'node verifies the token with the JWKS');
    // A token re-signed by anyone else is refused.
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [hh, pp] = at.split('.');
    const forged = `${hh}.${pp}.${crypto.sign('sha256', Buffer.from(`${hh}.${pp}`),
        { key: other.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const r = await srv.request('GET', '/api/v1/me', { token: forged });
    assertStatus(r, 401, 'forged token');
});

test('AUTH-7 a key rotation logs nobody out; the old key leaves the JWKS after its tokens expire', async () => {
    const first = await login();
    const oldKid = header(first.access_token).kid;
    const newKid = await rotate();
    assert.notEqual(newKid, oldKid);
    assertStatus(await srv.request('GET', '/api/v1/me', { token: first.access_token }), 200,
        'token of the old key right after the rotation');

    // Within a minute the server signs with the new key; both keys are published.
    await srv.advanceClock(61);
    const second = await login();
    assert.equal(header(second.access_token).kid, newKid);
    let jwks = (await srv.request('GET', '/.well-known/jwks.json')).json;
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
    assert.ok(verifiedBy(jwks, first.access_token));
    assert.ok(verifiedBy(jwks, second.access_token));
    assertStatus(await srv.request('GET', '/api/v1/me', { token: first.access_token }), 200,
        'old-key token still valid after the switch');
    // Refreshing a session that began under the old key works and yields a new-key token.
    const refreshed = await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: first.refresh_token } });
    assertStatus(refreshed, 200, 'refresh across a rotation');
    assert.equal(header(refreshed.json.access_token).kid, newKid);

    // Once every old-key token has expired, the old key is gone.
    await srv.advanceClock(16 * 60);
    jwks = (await srv.request('GET', '/.well-known/jwks.json')).json;
    assert.deepEqual(jwks.keys.map((k) => k.kid), [newKid]);
    const third = await login();
    assertStatus(await srv.request('GET', '/api/v1/me', { token: third.access_token }), 200);
});
