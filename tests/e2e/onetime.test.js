// SPDX-License-Identifier: Apache-2.0
// The bootstrap admin's password is one-time: it signs in, but until the admin has chosen
// their own password the account can do nothing else (API, IPP, browser sign-in).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, assertError, strongPassword } from './lib/server.js';

let srv;

before(async () => {
    srv = await startServer({ keepOneTimePassword: true });
});

after(async () => {
    if (srv)
        await srv.stop();
});

const cookieOf = (res, name) => (res.headers['set-cookie'] || []).map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
const hidden = (html, name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1]
    ?.replace(/&amp;/g, '&');
const form = (server, path, fields, csrf) => server.request('POST', path, {
    rawBody: new URLSearchParams(fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-quire_csrf=${csrf}` },
});

describe('one-time bootstrap password', () => {
    let oneTime;
    let chosen;

    test('AUTH-2 until it is replaced, the account reads only itself: every other request is 403 and changes nothing', async () => {
        oneTime = srv.root.password;
        const t = await srv.login(srv.root.slug, srv.root.username, oneTime);
        assert.ok(t.access_token && t.refresh_token, 'the one-time password signs in');
        const me = await srv.request('GET', '/api/v1/me', { token: t.access_token });
        assertStatus(me, 200);
        assert.equal(me.json.password_change_required, true);
        assertStatus(await srv.request('GET', '/oauth/userinfo', { token: t.access_token }), 200, 'userinfo');
        assertError(await srv.request('GET', '/api/v1/orgs', { token: t.access_token }), 403, 'password_change_required');
        const create = await srv.request('POST', '/api/v1/orgs', { token: t.access_token, body: {
            parent_id: srv.root.orgId, type: 'customer', name: 'Too Early', slug: 'too-early' } });
        assertError(create, 403, 'password_change_required');
        assert.match(create.json.message, /POST \/api\/v1\/me\/password/);
        // IPP with the one-time password, HTTP Basic: refused too, as an IPP answer that IPP
        // clients show (issue 15): client-error-not-authorized and a status-message.
        const attr = (tag, name, value) => Buffer.concat([Buffer.from([tag, 0, name.length]), Buffer.from(name),
            Buffer.from([0, value.length]), Buffer.from(value)]);
        const getJobs = Buffer.concat([Buffer.from([2, 0, 0, 10, 0, 0, 0, 1, 1]), attr(0x47, 'attributes-charset', 'utf-8'),
            attr(0x48, 'attributes-natural-language', 'en'), attr(0x45, 'printer-uri', `ipps://localhost:${srv.port}/ipp/print`),
            Buffer.from([3])]);
        const ipp = await srv.request('POST', '/ipp/print', { rawBody: getJobs,
            headers: { 'Content-Type': 'application/ipp',
                Authorization: `Basic ${Buffer.from(`${srv.root.username}@${srv.root.slug}:${oneTime}`).toString('base64')}` } });
        assertStatus(ipp, 200, 'an IPP answer');
        assert.equal(ipp.raw.readUInt16BE(2), 0x0403, 'client-error-not-authorized');
        assert.match(ipp.raw.toString(), /one-time password/);

        const same = await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: oneTime, new_password: oneTime } });
        assertError(same, 400, 'invalid_password');
        assert.match(same.json.message, /differ/);
        chosen = strongPassword();
        assertStatus(await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: oneTime, new_password: chosen } }), 204);
        const list = await srv.request('GET', '/api/v1/orgs', { token: t.access_token });
        assertStatus(list, 200, 'the same session goes on once the password is the admin\'s own');
        assert.ok(!list.json.items.some((o) => o.slug === 'too-early'), 'the refused create left nothing');
        assert.equal((await srv.request('GET', '/api/v1/me', { token: t.access_token })).json.password_change_required, false);
        assertStatus(await srv.tryLogin(srv.root.slug, srv.root.username, oneTime), 401, 'the one-time password is spent');
        srv.root.password = chosen;
    });
});

describe('one-time password at the sign-in page', () => {
    let srv2;

    before(async () => {
        srv2 = await startServer({ keepOneTimePassword: true });
    });

    after(async () => {
        if (srv2)
            await srv2.stop();
    });

    test('AUTH-2 the sign-in page asks for an own password before any session, then leads back to the application', async () => {
        const s = srv2;
        const page = await s.request('GET', `/forgot?org=${s.root.slug}`);
        assertStatus(page, 200);
        const csrf = cookieOf(page, '__Host-quire_csrf');
        const returnTo = 'response_type=code&client_id=0123456789abcdef0123456789abcdef&state=xyz';
        const login = await s.request('POST', '/login', {
            rawBody: new URLSearchParams({ csrf: hidden(page.text, 'csrf'), org: s.root.slug, return_to: returnTo,
                username: s.root.username, password: s.root.password }).toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-quire_csrf=${csrf}` } });
        assertStatus(login, 200, 'a page, not a redirect with a session');
        assert.equal(cookieOf(login, '__Host-quire_session'), undefined, 'no browser session yet');
        assert.match(login.text, /Choose a password for admin/);
        assert.match(login.text, /one-time password/);
        const token = hidden(login.text, 'token');
        assert.ok(token, 'the form carries a single-use token');
        assert.equal(hidden(login.text, 'return_to'), returnTo);

        const weak = await form(s, '/reset', { csrf, token, password: 'short', return_to: returnTo }, csrf);
        assertStatus(weak, 400, 'AUTH-2 applies');
        const chosen = strongPassword();
        const saved = await form(s, '/reset', { csrf, token, password: chosen, return_to: returnTo }, csrf);
        assertStatus(saved, 200);
        assert.match(saved.text, /Password saved/);
        assert.ok(saved.text.includes(`href="/oauth/authorize?${returnTo.replace(/&/g, '&amp;')}"`), 'a link back to the application');
        assertStatus(await s.tryLogin(s.root.slug, s.root.username, s.root.password), 401, 'the one-time password is spent');
        const t = await s.login(s.root.slug, s.root.username, chosen);
        assertStatus(await s.request('GET', '/api/v1/orgs', { token: t.access_token }), 200, 'the account works fully');
        assertStatus(await form(s, '/reset', { csrf, token, password: strongPassword() }, csrf), 400, 'the token worked once');
    });
});
