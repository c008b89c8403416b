// SPDX-License-Identifier: Apache-2.0
// Tokens (AUTH-7): login, JWT claims, 15-minute access tokens on the test clock, refresh
// rotation with family revocation on reuse, logout, and reuse detection across a restart.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, createUser, jwtPayload, withinOneSecond,
} from './lib/server.js';

let srv;
let cust;

before(async () => {
    srv = await startServer();
    const rootToken = await srv.rootToken();
    cust = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'customer' });
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** A fresh user of the customer org (its admin token is renewed: tests move the clock). */
async function freshUser() {
    cust.token = (await srv.login(cust.admin.slug, cust.admin.username, cust.admin.password)).access_token;
    return createUser(srv, cust.token, cust.org, { role: 'customer_user' });
}

const me = (token) => srv.request('GET', '/api/v1/me', { token });
const refresh = (rt) => srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: rt } });

function assertTokenShape(json) {
    assert.equal(typeof json.access_token, 'string');
    assert.equal(typeof json.refresh_token, 'string');
    assert.ok(json.access_token.length > 20);
    assert.ok(json.refresh_token.length > 20);
    assert.equal(json.token_type, 'Bearer');
    assert.equal(json.expires_in, 900);
}

describe('AUTH-7 login and access tokens', () => {
    test('AUTH-7 login returns an access token, a refresh token, Bearer, 900 s', async () => {
        const u = await freshUser();
        const r = await srv.tryLogin(u.slug, u.username, u.password);
        assertStatus(r, 200);
        assertTokenShape(r.json);
        assert.notEqual(r.json.access_token, r.json.refresh_token);
        assert.match(r.headers['cache-control'], /no-store/, 'token responses are not cached');
    });

    test('AUTH-7 the access token works on the API', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const r = await me(t.access_token);
        assertStatus(r, 200);
        assert.equal(r.json.id, u.id);
        assert.equal(r.json.username, u.username);
        assert.equal(r.json.org_id, cust.org.id);
    });

    test('AUTH-7 the access token is a JWT with iss, aud quire-api, sub, org, sid, exp-iat == 900', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const [h64] = t.access_token.split('.');
        const header = JSON.parse(Buffer.from(h64, 'base64url').toString('utf8'));
        assert.ok(header.alg && header.alg !== 'none', `signed JWT, alg ${header.alg}`);
        const c = jwtPayload(t.access_token);
        assert.ok(c.iss, 'iss');
        assert.ok(c.aud === 'quire-api' || (Array.isArray(c.aud) && c.aud.includes('quire-api')), `aud ${JSON.stringify(c.aud)}`);
        assert.equal(String(c.sub), String(u.id));
        assert.equal(String(c.org), String(cust.org.id));
        assert.ok(c.sid !== undefined && c.sid !== null && c.sid !== '', 'sid');
        assert.equal(typeof c.iat, 'number');
        assert.equal(typeof c.exp, 'number');
        assert.equal(c.exp - c.iat, 900);
        const now = await srv.clockNow();
        assert.ok(Math.abs(c.iat - now) <= 5, `iat ${c.iat} is the server clock ${now}`);
    });

    test('AUTH-7 the access token still works after 899 s and not after 901 s', async () => {
        const u = await freshUser();
        // The login is inside the timed section: the token's iat is the section's second.
        const obs = await withinOneSecond(srv, async () => {
            const t = await srv.login(u.slug, u.username, u.password);
            const at899 = await srv.advanceClock(899).then(() => me(t.access_token));
            await srv.advanceClock(2);
            const at901 = await me(t.access_token);
            return { advanced: 901, at899, at901 };
        });
        assertStatus(obs.at899, 200, 'after 14:59');
        assertError(obs.at901, 401, 'unauthorized', 'after 15:01');
    });

    test('AUTH-7 missing, malformed, tampered, unsigned and foreign-audience tokens -> 401 unauthorized', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const [h, p, s] = t.access_token.split('.');
        const claims = jwtPayload(t.access_token);
        const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const flip = (x) => (x[0] === 'A' ? 'B' : 'A') + x.slice(1);
        const bad = {
            'no token': null,
            'garbage': 'garbage',
            'two parts': `${h}.${p}`,
            'tampered signature': `${h}.${p}.${flip(s)}`,
            'tampered payload (sub)': `${h}.${enc({ ...claims, sub: typeof claims.sub === 'number' ? claims.sub + 1 : `${claims.sub}1` })}.${s}`,
            'tampered payload (org)': `${h}.${enc({ ...claims, org: srv.root.orgId })}.${s}`,
            'longer exp': `${h}.${enc({ ...claims, exp: claims.exp + 86400 })}.${s}`,
            'alg none': `${enc({ alg: 'none', typ: 'JWT' })}.${p}.`,
            'alg none, signature kept': `${enc({ alg: 'none', typ: 'JWT' })}.${p}.${s}`,
            'alg RS256, signature kept': `${enc({ alg: 'RS256', typ: 'JWT' })}.${p}.${s}`,
            'header with an extra member': `${enc({ ...JSON.parse(Buffer.from(h, 'base64url').toString('utf8')), kid: 'x' })}.${p}.${s}`,
            'refresh token as access token': t.refresh_token,
        };
        for (const [what, tok] of Object.entries(bad)) {
            const r = await srv.request('GET', '/api/v1/me', tok === null ? {} : { token: tok });
            assertError(r, 401, 'unauthorized', what);
        }
        const basic = await srv.request('GET', '/api/v1/me', { headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
        assertError(basic, 401, 'unauthorized', 'Basic auth');
        assertStatus(await me(t.access_token), 200, 'the genuine token still works');
    });

    test('AUTH-7 login with wrong org slug -> 401 invalid_credentials', async () => {
        const u = await freshUser();
        const r = await srv.tryLogin(srv.root.slug, u.username, u.password);
        assertError(r, 401, 'invalid_credentials');
    });
});

describe('AUTH-7 refresh rotation', () => {
    test('AUTH-7 refresh returns new tokens and a rotated refresh token', async () => {
        const u = await freshUser();
        const t1 = await srv.login(u.slug, u.username, u.password);
        const r = await refresh(t1.refresh_token);
        assertStatus(r, 200);
        assertTokenShape(r.json);
        assert.notEqual(r.json.refresh_token, t1.refresh_token, 'refresh token rotated');
        assertStatus(await me(r.json.access_token), 200);
        const c1 = jwtPayload(t1.access_token);
        const c2 = jwtPayload(r.json.access_token);
        assert.equal(c2.sid, c1.sid, 'same family');
        assert.equal(String(c2.sub), String(u.id));
    });

    test('AUTH-7 reusing an old refresh token -> 401 invalid_grant and revokes the whole family', async () => {
        const u = await freshUser();
        const t1 = await srv.login(u.slug, u.username, u.password);
        const r2 = await refresh(t1.refresh_token);
        assertStatus(r2, 200);
        const t2 = r2.json;
        const r3 = await refresh(t2.refresh_token);
        assertStatus(r3, 200);
        const t3 = r3.json;
        assertStatus(await me(t3.access_token), 200);
        // Replay of the first refresh token.
        assertError(await refresh(t1.refresh_token), 401, 'invalid_grant', 'reused refresh token');
        assertError(await refresh(t3.refresh_token), 401, 'invalid_grant', 'newest refresh token of the family');
        for (const [what, at] of [['first', t1.access_token], ['second', t2.access_token], ['newest', t3.access_token]])
            assertError(await me(at), 401, 'unauthorized', `${what} access token of the revoked family`);
        // Another login of the same user is a different family and works.
        const other = await srv.login(u.slug, u.username, u.password);
        assertStatus(await me(other.access_token), 200, 'a new login is unaffected');
        assertStatus(await refresh(other.refresh_token), 200);
    });

    test('AUTH-7 a revoked family does not touch another session of the same user', async () => {
        const u = await freshUser();
        const a = await srv.login(u.slug, u.username, u.password);
        const b = await srv.login(u.slug, u.username, u.password);
        assertStatus(await refresh(a.refresh_token), 200);
        assertError(await refresh(a.refresh_token), 401, 'invalid_grant');
        assertStatus(await me(b.access_token), 200);
        assertStatus(await refresh(b.refresh_token), 200);
    });

    test('AUTH-7 invalid refresh tokens -> 401 invalid_grant', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        for (const rt of ['garbage', `${t.refresh_token}x`, t.refresh_token.slice(0, -2)])
            assertError(await refresh(rt), 401, 'invalid_grant', `refresh with ${rt.slice(0, 12)}...`);
        // An access token is longer than any refresh token: a size limit may refuse it first.
        const r = await refresh(t.access_token);
        assertStatus(r, [400, 401], 'refresh with the access token');
        assert.ok(['invalid_grant', 'invalid_request'].includes(r.json.error), r.text);
        assertStatus(await me(t.access_token), 200, 'the access token is unaffected');
    });

    test('AUTH-7 100 concurrent refreshes of one token -> exactly one 200', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const rs = await Promise.all(Array.from({ length: 100 }, () => refresh(t.refresh_token)));
        const counts = {};
        for (const r of rs)
            counts[r.status] = (counts[r.status] || 0) + 1;
        assert.equal(counts[200] || 0, 1, `exactly one refresh wins: ${JSON.stringify(counts)}`);
        assert.equal(counts[401] || 0, 99, `the others get 401: ${JSON.stringify(counts)}`);
        for (const r of rs.filter((x) => x.status === 401))
            assert.equal(r.json.error, 'invalid_grant');
        assertStatus(await srv.request('GET', '/healthz'), 200);
    });
});

describe('AUTH-7 logout', () => {
    test('AUTH-7 logout -> 204; the session access and refresh tokens stop working', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const other = await srv.login(u.slug, u.username, u.password);
        const r = await srv.request('POST', '/api/v1/auth/logout', { token: t.access_token });
        assertStatus(r, 204);
        assertError(await me(t.access_token), 401, 'unauthorized', 'access token after logout');
        assertError(await refresh(t.refresh_token), 401, 'invalid_grant', 'refresh token after logout');
        assertStatus(await me(other.access_token), 200, 'another session of the user is unaffected');
    });

    test('AUTH-7 logout after a refresh revokes the refreshed tokens too', async () => {
        const u = await freshUser();
        const t1 = await srv.login(u.slug, u.username, u.password);
        const t2 = (await refresh(t1.refresh_token)).json;
        assertStatus(await srv.request('POST', '/api/v1/auth/logout', { token: t2.access_token }), 204);
        assertError(await me(t2.access_token), 401, 'unauthorized');
        assertError(await refresh(t2.refresh_token), 401, 'invalid_grant');
    });

    test('AUTH-7 logout without a valid token -> 401 unauthorized', async () => {
        assertError(await srv.request('POST', '/api/v1/auth/logout'), 401, 'unauthorized');
        assertError(await srv.request('POST', '/api/v1/auth/logout', { token: 'nope' }), 401, 'unauthorized');
    });
});

describe('AUTH-7 across a restart', () => {
    test('AUTH-7 tokens survive a restart and refresh reuse detection still revokes the family', async () => {
        const u = await freshUser();
        const t1 = await srv.login(u.slug, u.username, u.password);
        const t2 = (await refresh(t1.refresh_token)).json;
        assert.ok(t2 && t2.access_token, 'refreshed');
        const loggedOut = await srv.login(u.slug, u.username, u.password);
        assertStatus(await srv.request('POST', '/api/v1/auth/logout', { token: loggedOut.access_token }), 204);

        await srv.restart();

        assertStatus(await me(t2.access_token), 200, 'an access token issued before the restart');
        assertError(await me(loggedOut.access_token), 401, 'unauthorized', 'logout survives the restart');
        assertError(await refresh(t1.refresh_token), 401, 'invalid_grant', 'replay of the old refresh token after restart');
        assertError(await refresh(t2.refresh_token), 401, 'invalid_grant', 'the family is revoked');
        assertError(await me(t2.access_token), 401, 'unauthorized', 'the family access token is revoked');
        const fresh = await srv.login(u.slug, u.username, u.password);
        assertStatus(await me(fresh.access_token), 200);
    });
});
