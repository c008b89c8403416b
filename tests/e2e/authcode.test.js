// SPDX-License-Identifier: Apache-2.0
// AUTH-7, AUTH-12, SEC-4: the authorization code flow with PKCE through the server-rendered
// login page (no JavaScript), OpenID Connect discovery, ID tokens and userinfo.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, assertStatus } from './lib/server.js';

const REDIRECT = 'http://127.0.0.1:9/callback';
let srv;
let rootToken;
let client;

before(async () => {
    srv = await startServer();
    rootToken = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
    const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
        token: rootToken, body: { name: 'Portal', public: true, redirect_uris: [REDIRECT] },
    });
    assertStatus(r, 201, 'register public client');
    assert.equal(r.json.client_secret, undefined, 'a public client has no secret');
    client = r.json;
});

after(async () => {
    if (srv)
        await srv.stop();
});

function pkce() {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    return { verifier, challenge };
}

function authorizeUrl(params) {
    return '/oauth/authorize?' + new URLSearchParams(params).toString();
}

function cookiesOf(res) {
    const out = {};
    for (const c of res.headers['set-cookie'] || []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        out[pair.slice(0, i)] = { value: pair.slice(i + 1), attrs: c };
    }
    return out;
}

function hidden(html, name) {
    const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
    return m ? m[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>') : null;
}

const form = (path, fields, headers = {}) => srv.request('POST', path, {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
});

/** Runs the browser part: authorize -> login page -> POST /login -> authorize -> redirect. */
async function signIn({ username = srv.root.username, password = srv.root.password, extra = {} } = {}) {
    const { verifier, challenge } = pkce();
    const state = crypto.randomBytes(8).toString('hex');
    const nonce = crypto.randomBytes(8).toString('hex');
    const params = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT,
        scope: 'openid profile email', state, nonce, code_challenge: challenge, code_challenge_method: 'S256', ...extra };
    const page = await srv.request('GET', authorizeUrl(params));
    assertStatus(page, 200, 'login page');
    assert.match(page.headers['content-type'], /^text\/html/);
    const csrfCookie = cookiesOf(page)['__Host-quire_csrf'];
    assert.ok(csrfCookie, 'CSRF cookie set');
    const fields = { csrf: hidden(page.text, 'csrf'), org: hidden(page.text, 'org'),
        return_to: hidden(page.text, 'return_to'), username, password };
    const login = await form('/login', fields, { Cookie: `__Host-quire_csrf=${csrfCookie.value}` });
    if (login.status !== 303)
        return { login, page, csrfCookie, fields };
    const session = cookiesOf(login)['__Host-quire_session'];
    const back = await srv.request('GET', login.headers.location, { headers: { Cookie: `__Host-quire_session=${session.value}` } });
    assertStatus(back, 302, 'authorize with a session');
    const url = new URL(back.headers.location);
    return { url, verifier, state, nonce, session, login, page };
}

describe('authorization code flow', () => {
    test('AUTH-7 discovery document names the endpoints and capabilities', async () => {
        const r = await srv.request('GET', '/.well-known/openid-configuration');
        assertStatus(r, 200);
        const d = r.json;
        assert.equal(d.issuer, `https://localhost:${srv.port}`);
        for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint'])
            assert.ok(d[k].startsWith(d.issuer), k);
        assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
        assert.deepEqual(d.response_types_supported, ['code']);
        assert.ok(!d.grant_types_supported.includes('implicit') && !d.grant_types_supported.includes('password'));
        assert.equal(d.authorization_response_iss_parameter_supported, true);
    });

    test('AUTH-7 login page, code with state and iss, tokens, ID token and userinfo', async () => {
        const s = await signIn();
        assert.equal(s.session.attrs.includes('Secure'), true);
        assert.equal(s.session.attrs.includes('HttpOnly'), true);
        assert.match(s.session.attrs, /SameSite=Lax/);
        assert.equal(s.url.origin + s.url.pathname, REDIRECT);
        assert.equal(s.url.searchParams.get('state'), s.state);
        assert.equal(s.url.searchParams.get('iss'), `https://localhost:${srv.port}`);
        const code = s.url.searchParams.get('code');
        const tok = await form('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
            client_id: client.client_id, code_verifier: s.verifier });
        assertStatus(tok, 200, 'code exchange');
        assert.ok(tok.json.access_token && tok.json.refresh_token && tok.json.id_token);
        const idc = JSON.parse(Buffer.from(tok.json.id_token.split('.')[1], 'base64url'));
        assert.equal(idc.aud, client.client_id);
        assert.equal(idc.nonce, s.nonce);
        assert.equal(idc.iss, `https://localhost:${srv.port}`);
        // The ID token verifies against the JWKS.
        const jwks = (await srv.request('GET', '/.well-known/jwks.json')).json;
        const [h, p, sig] = tok.json.id_token.split('.');
        const jwk = jwks.keys.find((k) => k.kid === JSON.parse(Buffer.from(h, 'base64url')).kid);
        assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`),
            { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')));
        const ui = await srv.request('GET', '/oauth/userinfo', { token: tok.json.access_token });
        assertStatus(ui, 200, 'userinfo');
        assert.equal(ui.json.sub, idc.sub);
        assert.equal(ui.json.preferred_username, srv.root.username);
        // The code works once; a second use revokes what the first issued.
        const again = await form('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
            client_id: client.client_id, code_verifier: s.verifier });
        assertStatus(again, 400);
        assert.equal(again.json.error, 'invalid_grant');
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: tok.json.access_token }), 401, 'tokens of a replayed code');
    });

    test('AUTH-12 PKCE, redirect URI and code lifetime are enforced', async () => {
        let s = await signIn();
        let r = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: pkce().verifier });
        assert.equal(r.json.error, 'invalid_grant', 'wrong verifier');
        s = await signIn();
        r = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: 'http://127.0.0.1:9/other', client_id: client.client_id, code_verifier: s.verifier });
        assert.equal(r.json.error, 'invalid_grant', 'other redirect_uri');
        s = await signIn();
        await srv.advanceClock(61);
        r = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: s.verifier });
        assert.equal(r.json.error, 'invalid_grant', 'code older than 60 s');
        // plain PKCE and a missing challenge are refused back at the client.
        const bad = await srv.request('GET', authorizeUrl({ response_type: 'code', client_id: client.client_id,
            redirect_uri: REDIRECT, code_challenge: 'x'.repeat(43), code_challenge_method: 'plain', state: 'st' }));
        assertStatus(bad, 302);
        const u = new URL(bad.headers.location);
        assert.equal(u.searchParams.get('error'), 'invalid_request');
        assert.equal(u.searchParams.get('state'), 'st');
    });

    test('AUTH-12 no open redirect: unregistered or loosely matching redirect URIs get a page, not a redirect', async () => {
        const { challenge } = pkce();
        for (const redirect of ['https://evil.example/cb', `${REDIRECT}/extra`, `${REDIRECT}?x=1`, 'http://127.0.0.1:9/CALLBACK']) {
            const r = await srv.request('GET', authorizeUrl({ response_type: 'code', client_id: client.client_id,
                redirect_uri: redirect, code_challenge: challenge, code_challenge_method: 'S256' }));
            assertStatus(r, 400, redirect);
            assert.equal(r.headers.location, undefined);
            assert.match(r.text, /not registered/);
        }
        const r = await srv.request('GET', authorizeUrl({ response_type: 'code', client_id: '0'.repeat(32), redirect_uri: REDIRECT }));
        assertStatus(r, 400);
        assert.equal(r.headers.location, undefined);
    });

    test('SEC-4 the login form checks CSRF and Origin; pages carry anti-framing headers', async () => {
        const s = await signIn({ password: 'Wrong-password-1' });
        assertStatus(s.login, 401, 'wrong password re-renders the page');
        assert.match(s.login.text, /wrong/);
        assert.equal(s.page.headers['x-frame-options'], 'DENY');
        assert.match(s.page.headers['content-security-policy'], /frame-ancestors 'none'/);
        const fields = { ...s.fields, password: srv.root.password };
        let r = await form('/login', fields); // no CSRF cookie
        assertStatus(r, 403);
        r = await form('/login', { ...fields, csrf: 'A'.repeat(43) }, { Cookie: `__Host-quire_csrf=${s.csrfCookie.value}` });
        assertStatus(r, 403, 'token differs from cookie');
        r = await form('/login', fields, { Cookie: `__Host-quire_csrf=${s.csrfCookie.value}`, Origin: 'https://evil.example' });
        assertStatus(r, 403, 'foreign Origin');
        r = await form('/login', { ...fields, return_to: 'client_id=x\r\nSet-Cookie: a=b' }, { Cookie: `__Host-quire_csrf=${s.csrfCookie.value}` });
        assertStatus(r, 400, 'header injection in return_to');
    });

    test('SEC-4 every sign-in page carries HSTS, Referrer-Policy, CSP frame-ancestors and X-Frame-Options', async () => {
        const wrong = await signIn({ password: 'Wrong-password-1' });
        const pages = [
            ['login page', wrong.page, 200],
            ['wrong password', wrong.login, 401],
            ['forgot', await srv.request('GET', `/forgot?org=${srv.root.slug}`), 200],
            ['reset, bad link', await srv.request('GET', '/reset?token=nope'), 400],
            ['activate, bad link', await srv.request('GET', '/activate?token=nope'), 400],
            ['forged code form', await form('/login/mfa', { csrf: 'x', mfa_token: 'y', return_to: '', code: '123456' }), 403],
            ['unknown client', await srv.request('GET', authorizeUrl({ client_id: '0'.repeat(32), redirect_uri: REDIRECT })), 400],
        ];
        for (const [what, r, status] of pages) {
            assertStatus(r, status, what);
            assert.match(r.headers['content-type'], /^text\/html/, what);
            const hsts = r.headers['strict-transport-security'];
            assert.ok(hsts && Number(hsts.match(/max-age=(\d+)/)?.[1]) >= 31536000, `${what}: HSTS for at least a year: ${hsts}`);
            assert.equal(r.headers['referrer-policy'], 'same-origin', what);
            assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/, what);
            assert.equal(r.headers['x-frame-options'], 'DENY', what);
        }
    });

    test('RFC 9207 error redirects carry iss and state; no challenge, plain PKCE and a bad scope are refused', async () => {
        const base = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT, state: 'st-9' };
        for (const [what, params, error] of [
            ['no code_challenge', {}, 'invalid_request'],
            ['plain', { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
            ['bad scope', { code_challenge: pkce().challenge, code_challenge_method: 'S256', scope: 'openid admin' }, 'invalid_scope'],
            ['token response type', { response_type: 'token', code_challenge: pkce().challenge, code_challenge_method: 'S256' }, 'unsupported_response_type'],
        ]) {
            const r = await srv.request('GET', authorizeUrl({ ...base, ...params }));
            assertStatus(r, 302, what);
            const u = new URL(r.headers.location);
            assert.equal(u.origin + u.pathname, REDIRECT, what);
            assert.equal(u.searchParams.get('error'), error, what);
            assert.equal(u.searchParams.get('state'), 'st-9', what);
            assert.equal(u.searchParams.get('iss'), `https://localhost:${srv.port}`, `${what}: iss`);
            assert.equal(u.searchParams.get('code'), null, what);
        }
    });

    test('AUTH-12 registration refuses wildcard, fragment, user-info and non-loopback http redirect URIs; nothing is created', async () => {
        const list = async () => (await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}/clients`, { token: rootToken })).json.items.length;
        const before = await list();
        for (const uri of ['https://*.example.com/cb', 'https://app.example.com/*', 'https://app.example.com/cb#frag',
            'https://user@app.example.com/cb', 'http://app.example.com/cb', 'javascript:alert(1)', '/callback', 'https:///cb']) {
            const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
                token: rootToken, body: { name: 'Bad redirect', public: true, redirect_uris: [uri] } });
            assertStatus(r, 400, uri);
            assert.match(r.json.message, /wildcard/, uri);
        }
        assert.equal(await list(), before, 'no client was created');
    });

    test('AUTH-5 a locked account gets nothing through its open browser session or a code issued before the lock', async () => {
        const username = `lockme${crypto.randomBytes(3).toString('hex')}`;
        const password = `Quire-Test-7x!${crypto.randomBytes(3).toString('hex')}`;
        assertStatus(await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/users`, {
            token: rootToken, body: { username, password, role: 'provider_support' } }), 201, 'create user');
        const s = await signIn({ username, password });
        const cookie = { Cookie: `__Host-quire_session=${s.session.value}` };
        const params = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT,
            code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 'lk' };
        assertStatus(await srv.request('GET', authorizeUrl(params), { headers: cookie }), 302, 'signed in before the lock');
        for (let i = 0; i < 3; i++)
            assertStatus(await srv.request('POST', '/api/v1/auth/login', { body: { org: srv.root.slug, username, password: `Wrong-pass-${i}` } }), 401);
        const tok = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: s.verifier });
        assertStatus(tok, 400, 'a code issued before the lock');
        assert.equal(tok.json.error, 'invalid_grant');
        const page = await srv.request('GET', authorizeUrl(params), { headers: cookie });
        assertStatus(page, 200, 'the session no longer signs in: the login page');
        assert.match(page.text, /Sign in/);
        const none = await srv.request('GET', authorizeUrl({ ...params, prompt: 'none' }), { headers: cookie });
        assertStatus(none, 302);
        assert.equal(new URL(none.headers.location).searchParams.get('error'), 'login_required');
        assert.equal(new URL(none.headers.location).searchParams.get('code'), null);
    });

    test('RFC 6749 6 a refresh token works only for the client it was issued to; only that client revokes it', async () => {
        const reg = async (body) => {
            const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, { token: rootToken, body });
            assertStatus(r, 201, `register ${body.name}`);
            return r.json;
        };
        const other = await reg({ name: 'Other app', public: true, redirect_uris: [REDIRECT] });
        const conf = await reg({ name: 'Backend', redirect_uris: [REDIRECT] });
        const basic = { Authorization: `Basic ${Buffer.from(`${conf.client_id}:${conf.client_secret}`).toString('base64')}` };
        const s = await signIn();
        const tok = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: s.verifier });
        assertStatus(tok, 200, 'code exchange');
        const rt = tok.json.refresh_token;
        const refreshAs = (fields, headers) => form('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt, ...fields }, headers);
        for (const [what, r] of [
            ['another public client', await refreshAs({ client_id: other.client_id })],
            ['no client at all', await refreshAs({})],
            ['an authenticated confidential client', await refreshAs({}, basic)]]) {
            assertStatus(r, 400, what);
            assert.equal(r.json.error, 'invalid_grant', what);
        }
        const noSecret = await refreshAs({ client_id: conf.client_id });
        assertStatus(noSecret, 401, 'a confidential client without its secret');
        assert.equal(noSecret.json.error, 'invalid_client');
        assertStatus(await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: rt } }), 401, 'the login API');
        // Nothing was spent: the token still works for its own client.
        const mine = await refreshAs({ client_id: client.client_id });
        assertStatus(mine, 200, 'its own client');
        const rt2 = mine.json.refresh_token;
        // Revocation by anyone else is ignored (200, nothing revoked).
        assertStatus(await form('/oauth/revoke', { token: rt2, client_id: other.client_id }), 200);
        assertStatus(await form('/oauth/revoke', { token: mine.json.access_token }), 200);
        assertStatus(await form('/oauth/revoke', { token: rt2 }, basic), 200);
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: mine.json.access_token }), 200, 'not revoked by others');
        assertStatus(await form('/oauth/revoke', { token: rt2, client_id: client.client_id }), 200);
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: mine.json.access_token }), 401, 'revoked by its client');
        const after = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt2, client_id: client.client_id });
        assert.equal(after.json.error, 'invalid_grant');
        // A token of quire's own login API is not a client's to refresh.
        const own = await srv.login(srv.root.slug, srv.root.username, srv.root.password);
        const r = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: own.refresh_token, client_id: client.client_id });
        assert.equal(r.json.error, 'invalid_grant');
    });

    test('AUTH-11 deleting a client ends the sessions of the people signed in through it', async () => {
        const r = await srv.request('POST', `/api/v1/orgs/${srv.root.orgId}/clients`, {
            token: rootToken, body: { name: 'Short-lived app', public: true, redirect_uris: [REDIRECT] } });
        assertStatus(r, 201);
        const app = r.json;
        const s = await signIn({ extra: { client_id: app.client_id } });
        const tok = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: app.client_id, code_verifier: s.verifier });
        assertStatus(tok, 200, 'code exchange');
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: tok.json.access_token }), 200);
        assertStatus(await srv.request('DELETE', `/api/v1/clients/${app.client_id}`, { token: rootToken }), 204);
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: tok.json.access_token }), 401, 'access token of the deleted client');
        const again = await form('/oauth/token', { grant_type: 'refresh_token', refresh_token: tok.json.refresh_token, client_id: app.client_id });
        assertStatus(again, 401, 'the deleted client is unknown');
        assert.equal(again.json.error, 'invalid_client');
    });

    test('AUTH-7 a browser session ends after 15 minutes idle', async () => {
        const s = await signIn();
        const params = { response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT,
            code_challenge: pkce().challenge, code_challenge_method: 'S256' };
        const cookie = { Cookie: `__Host-quire_session=${s.session.value}` };
        await srv.advanceClock(14 * 60);
        assertStatus(await srv.request('GET', authorizeUrl(params), { headers: cookie }), 302, 'active at 14 min');
        await srv.advanceClock(15 * 60 + 1);
        const r = await srv.request('GET', authorizeUrl(params), { headers: cookie });
        assertStatus(r, 200, 'idle 15 min: the login page again');
        assert.match(r.text, /Sign in/);
        const none = await srv.request('GET', authorizeUrl({ ...params, prompt: 'none', state: 'z' }), { headers: cookie });
        assertStatus(none, 302);
        assert.equal(new URL(none.headers.location).searchParams.get('error'), 'login_required');
    });

    /** Signs in and redeems the code; returns {tokens, session cookie header}. */
    async function browserTokens() {
        const s = await signIn();
        const tok = await form('/oauth/token', { grant_type: 'authorization_code', code: s.url.searchParams.get('code'),
            redirect_uri: REDIRECT, client_id: client.client_id, code_verifier: s.verifier });
        assertStatus(tok, 200, 'code exchange');
        return { tokens: tok.json, cookie: { Cookie: `__Host-quire_session=${s.session.value}` } };
    }
    const refresh = (rt) => form('/oauth/token', { grant_type: 'refresh_token', refresh_token: rt, client_id: client.client_id });
    const activity = (cookie) => srv.request('GET', authorizeUrl({ response_type: 'code', client_id: client.client_id,
        redirect_uri: REDIRECT, code_challenge: pkce().challenge, code_challenge_method: 'S256' }), { headers: cookie });

    test('AUTH-7 background refreshes do not keep a browser session alive: its tokens end 15 minutes after the last activity', async () => {
        const { tokens, cookie } = await browserTokens();
        await srv.advanceClock(10 * 60);
        const r1 = await refresh(tokens.refresh_token);
        assertStatus(r1, 200, 'refresh 10 minutes after sign-in');
        await srv.advanceClock(5 * 60 + 1);
        const r2 = await refresh(r1.json.refresh_token);
        assertStatus(r2, 400, 'refresh 15 minutes after the last activity, despite the refresh at 10');
        assert.equal(r2.json.error, 'invalid_grant');
        const page = await activity(cookie);
        assertStatus(page, 200, 'the browser is asked to sign in again');
        assert.match(page.text, /Sign in/);

        // The same with activity in between: the person's navigation keeps it alive.
        const b = await browserTokens();
        await srv.advanceClock(10 * 60);
        assertStatus(await activity(b.cookie), 302, 'active at 10 minutes');
        await srv.advanceClock(10 * 60);
        assertStatus(await refresh(b.tokens.refresh_token), 200, 'refresh 10 minutes after the last activity');
    });

    test('AUTH-7 a browser session and its tokens end after 12 hours even when in use', async () => {
        const { tokens, cookie } = await browserTokens();
        let rt = tokens.refresh_token;
        for (let t = 14 * 60; t < 12 * 3600; t += 14 * 60) {
            await srv.advanceClock(14 * 60);
            assertStatus(await activity(cookie), 302, `active after ${t} s`);
            const r = await refresh(rt);
            assertStatus(r, 200, `refresh after ${t} s`);
            rt = r.json.refresh_token;
        }
        await srv.advanceClock(14 * 60); // 12 h 2 min after sign-in
        const page = await activity(cookie);
        assertStatus(page, 200, 'past 12 hours: the login page');
        assert.match(page.text, /Sign in/);
        const r = await refresh(rt);
        assertStatus(r, 400, 'past 12 hours: no refresh');
        assert.equal(r.json.error, 'invalid_grant');
    });
});
