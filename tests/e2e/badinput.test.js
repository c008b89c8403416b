// SPDX-License-Identifier: Apache-2.0
// Bad input gets a clear 4xx error and changes nothing (DESIGN rule 7, api contract): bodies,
// content types, ids, non-canonical paths, unknown routes and methods.

import { test, describe, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, strongPassword, uniq,
} from './lib/server.js';

let srv;
let cust;
let usersPath;
let snapshot;

async function users() {
    const r = await srv.request('GET', usersPath, { token: cust.token });
    assertStatus(r, 200, 'list users');
    return r.json.items.map((u) => JSON.stringify(u)).sort();
}

before(async () => {
    srv = await startServer();
    const rootToken = await srv.rootToken();
    cust = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'customer' });
    usersPath = `/api/v1/orgs/${cust.org.id}/users`;
    snapshot = await users();
});

afterEach(async () => {
    const h = await srv.request('GET', '/healthz');
    assertStatus(h, 200, 'the server still serves /healthz');
    assert.deepEqual(await users(), snapshot, 'nothing changed (user list)');
});

after(async () => {
    if (srv)
        await srv.stop();
});

function validUser() {
    return { username: `bad.${uniq()}`, role: 'customer_user', password: strongPassword() };
}

function post(rawBody, headers = {}, opts = {}) {
    return srv.request('POST', usersPath, {
        token: cust.token,
        rawBody,
        headers: { 'Content-Type': 'application/json', ...headers },
        ...opts,
    });
}

const JSON_ERR = ['invalid_json', 'invalid_request'];

describe('bad JSON bodies', () => {
    test('API malformed JSON -> 400 invalid_json', async () => {
        for (const body of ['{"username": "abc",', '{username: "abc"}', "{'a': 1}", '{"a": 1} x', '{"a": NaN}',
            '{"a": 01}', '{"a": "\\x41"}', '{"a": "tab\there"}', '', ' ', 'nul', '{"a":1,}', '[1,]']) {
            const r = await post(body);
            assertError(r, 400, 'invalid_json', `body ${JSON.stringify(body)}`);
        }
    });

    test('API top-level JSON that is not an object -> 400', async () => {
        for (const body of ['[]', '"user"', '42', 'null', 'true']) {
            const r = await post(body);
            assertError(r, 400, JSON_ERR, `body ${body}`);
        }
    });

    test('API wrong field types -> 400 invalid_request', async () => {
        for (const [k, v] of [['username', 123], ['username', null], ['role', ['customer_user']], ['password', true],
            ['email', 5], ['first_name', { a: 1 }], ['last_name', 1.5]]) {
            const r = await post(JSON.stringify({ ...validUser(), [k]: v }));
            assertError(r, 400, 'invalid_request', `${k}: ${JSON.stringify(v)}`);
            assert.match(r.json.message, new RegExp(k), 'the message names the field');
        }
    });

    test('API unknown field -> 400 invalid_request naming it', async () => {
        for (const k of ['is_superuser', 'Username', 'password_hash', '']) {
            const r = await post(JSON.stringify({ ...validUser(), [k]: true }));
            assertError(r, 400, 'invalid_request', `field ${JSON.stringify(k)}`);
            if (k)
                assert.ok(r.json.message.includes(k), `message names ${k}: ${r.json.message}`);
        }
    });

    test('API missing required field -> 400 invalid_request naming it', async () => {
        for (const k of ['username', 'role']) {
            const b = validUser();
            delete b[k];
            const r = await post(JSON.stringify(b));
            assertError(r, 400, 'invalid_request', `without ${k}`);
            assert.ok(r.json.message.includes(k), `message names ${k}: ${r.json.message}`);
        }
        const r = await srv.request('POST', '/api/v1/auth/login', { body: { org: cust.org.slug, username: cust.admin.username } });
        assertError(r, 400, 'invalid_request', 'login without password');
    });

    test('API body over 64 KiB -> 413 body_too_large', async () => {
        const pad = 'a'.repeat(64 * 1024);
        const body = JSON.stringify({ ...validUser(), first_name: pad });
        assert.ok(body.length > 64 * 1024);
        assertError(await post(body), 413, 'body_too_large', 'with Content-Length');
        assertError(await post(body, {}, { chunked: true }), 413, 'body_too_large', 'chunked');
        assertError(await post(Buffer.alloc(1024 * 1024, 0x20)), 413, 'body_too_large', '1 MiB of spaces');
        // Also before authentication, on the login endpoint.
        const lr = await srv.request('POST', '/api/v1/auth/login', {
            rawBody: JSON.stringify({ org: 'x', username: 'y', password: pad }), headers: { 'Content-Type': 'application/json' },
        });
        assertError(lr, 413, 'body_too_large', 'login');
    });

    test('API a body of exactly 64 KiB is not refused for its size', async () => {
        const base = JSON.stringify({ ...validUser(), first_name: '' });
        const body = base.replace('"first_name":""', `"first_name":"${'a'.repeat(64 * 1024 - base.length)}"`);
        assert.equal(Buffer.byteLength(body), 64 * 1024);
        const r = await post(body);
        assertError(r, 400, ['invalid_name', 'invalid_request'], 'a 64 KiB body reaches the name rule (name too long)');
    });

    test('API nesting deeper than 32 levels -> 400', async () => {
        for (const depth of [33, 100, 30000]) {
            // depth counts the top-level object as level 1.
            const inner = '['.repeat(depth - 1) + ']'.repeat(depth - 1);
            const r = await post(`{"first_name":${inner},"username":"deep.${uniq()}","role":"customer_user"}`);
            assertError(r, 400, JSON_ERR, `depth ${depth}`);
        }
        const deepObj = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
        assertError(await post(deepObj), 400, JSON_ERR, 'object depth 5000');
    });

    test('API invalid UTF-8 in a string -> 400', async () => {
        const cases = {
            'bare 0xff': Buffer.from([0xff]),
            'overlong slash': Buffer.from([0xc0, 0xaf]),
            'truncated sequence': Buffer.from([0xe2, 0x82]),
            'UTF-16 surrogate': Buffer.from([0xed, 0xa0, 0x80]),
            'above U+10FFFF': Buffer.from([0xf4, 0x90, 0x80, 0x80]),
        };
        for (const [what, bytes] of Object.entries(cases)) {
            const u = validUser();
            const body = Buffer.concat([
                Buffer.from(`{"username":"${u.username}","role":"customer_user","password":"${u.password}","first_name":"Ab`),
                bytes, Buffer.from('cd"}'),
            ]);
            assertError(await post(body), 400, JSON_ERR, what);
        }
        for (const esc of ['\\ud800', '\\udc00x', '\\u0000']) {
            const u = validUser();
            const r = await post(`{"username":"${u.username}","role":"customer_user","password":"${u.password}","first_name":"A${esc}b"}`);
            assertStatus(r, 400, `escape ${esc}`);
        }
    });

    test('API duplicate keys -> 400', async () => {
        const u = validUser();
        const r = await post(`{"username":"${u.username}","role":"customer_user","password":"${u.password}","role":"customer_admin"}`);
        assertError(r, 400, JSON_ERR, 'duplicate role');
        const r2 = await srv.request('POST', '/api/v1/auth/login', {
            rawBody: `{"org":"${cust.org.slug}","username":"nobody","username":"${cust.admin.username}","password":"${cust.admin.password}"}`,
            headers: { 'Content-Type': 'application/json' },
        });
        assertError(r2, 400, JSON_ERR, 'duplicate username in login');
    });

    test('API wrong or missing content type -> 415 unsupported_media_type', async () => {
        const body = JSON.stringify(validUser());
        for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json-patch+json']) {
            const r = await post(body, { 'Content-Type': ct });
            assertError(r, 415, 'unsupported_media_type', ct);
        }
        const r = await srv.request('POST', usersPath, { token: cust.token, rawBody: body });
        assertError(r, 415, 'unsupported_media_type', 'no Content-Type');
    });
});

describe('bad ids and paths', () => {
    test('API malformed ids -> 400 invalid_request', async () => {
        for (const id of ['zz', '1.5', '99999999999999999999999999999999999999999', 'x'.repeat(300)]) {
            for (const p of [`/api/v1/users/${id}`, `/api/v1/orgs/${id}`, `/api/v1/groups/${id}`, `/api/v1/orgs/${id}/users`]) {
                const r = await srv.request('GET', p, { token: cust.token });
                assertError(r, 400, 'invalid_request', `GET ${p.slice(0, 60)}`);
            }
            const d = await srv.request('DELETE', `/api/v1/users/${id}`, { token: cust.token });
            assertError(d, 400, 'invalid_request', `DELETE user ${id.slice(0, 20)}`);
        }
    });

    test('API well-formed ids that do not exist -> 404 not_found', async () => {
        const me = await srv.request('GET', '/api/v1/me', { token: cust.token });
        const id = me.json.id;
        let ghost;
        if (typeof id === 'number')
            ghost = 987654321;
        else if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
            ghost = '00000000-0000-4000-8000-000000000000';
        else if (/^[0-9]+$/.test(id))
            ghost = '987654321';
        else
            ghost = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
        for (const p of [`/api/v1/users/${ghost}`, `/api/v1/orgs/${ghost}`, `/api/v1/groups/${ghost}`]) {
            assertError(await srv.request('GET', p, { token: cust.token }), 404, 'not_found', p);
            assertError(await srv.request('DELETE', p, { token: cust.token }), 404, 'not_found', `DELETE ${p}`);
        }
    });

    const PATHS = [
        ['..', (o) => `/api/v1/orgs/${o}/../${o}/users`],
        ['.. at the end', () => '/api/v1/orgs/..'],
        ['/./', (o) => `/api/v1/orgs/./${o}/users`],
        ['/. at the end', (o) => `/api/v1/orgs/${o}/users/.`],
        ['//', (o) => `/api/v1//orgs/${o}/users`],
        ['leading //', (o) => `//api/v1/orgs/${o}/users`],
        [';', (o) => `/api/v1/orgs/${o};jsessionid=1/users`],
        ['; alone', (o) => `/api/v1/orgs/${o}/users;`],
        ['%2e%2e', (o) => `/api/v1/orgs/${o}/%2e%2e/${o}/users`],
        ['%2E', (o) => `/api/v1/orgs/%2E/${o}/users`],
        ['%2F', (o) => `/api/v1/orgs%2F${o}%2Fusers`],
        ['%2f', (o) => `/api/v1/orgs/${o}%2fusers`],
        ['backslash', (o) => `/api/v1/orgs\\${o}\\users`],
        ['%5c', (o) => `/api/v1/orgs%5c${o}/users`],
        ['double encoding %252e', (o) => `/api/v1/orgs/${o}/%252e%252e/${o}/users`],
        ['plain letter escape %75', (o) => `/api/v1/orgs/${o}/%75sers`],
        ['%00', (o) => `/api/v1/orgs/${o}/users%00`],
        ['%', (o) => `/api/v1/orgs/${o}/users%`],
        ['health with ..', () => '/api/../healthz'],
    ];
    for (const [name, mk] of PATHS) {
        test(`API non-canonical path (${name}) -> 400 invalid_path`, async () => {
            const p = mk(cust.org.id);
            // Sent byte for byte over our own TLS socket, and through node's client.
            const raw = await srv.rawGet(p, cust.token);
            assert.equal(raw.status, 400, `raw GET ${p}: ${raw.head}`);
            assert.ok(raw.json && raw.json.error === 'invalid_path', `raw GET ${p}: ${raw.text.slice(0, 300)}`);
            const r = await srv.request('GET', p, { token: cust.token });
            assertError(r, 400, 'invalid_path', `GET ${p}`);
            const w = await srv.request('POST', p, { token: cust.token, body: validUser() });
            assertError(w, 400, 'invalid_path', `POST ${p}`);
        });
    }

    test('API an overlong request line gets a 4xx, not a crash', async () => {
        const r = await srv.rawGet(`/api/v1/orgs/${'a'.repeat(100000)}`, cust.token).catch(() => ({ status: 0 }));
        assert.ok(r.status === 0 || (r.status >= 400 && r.status < 500), `status ${r.status}`);
    });

    test('API unknown route -> 404 not_found', async () => {
        for (const p of ['/api/v1/nope', '/api/v2/orgs', '/api/v1/orgs/x/y/z/w', '/api/v1', '/healthzz', '/_test/nope']) {
            const r = await srv.request('GET', p, { token: cust.token });
            assertError(r, 404, 'not_found', p);
        }
        const r = await srv.request('GET', '/api/v1/nope');
        assertStatus(r, [401, 404], 'unknown route without a token');
    });

    test('API wrong method -> 405 method_not_allowed with an Allow header', async () => {
        for (const [m, p, allowed] of [
            ['DELETE', '/healthz', 'GET'], ['POST', '/healthz', 'GET'],
            ['PUT', '/api/v1/orgs', 'GET'], ['DELETE', '/api/v1/orgs', 'POST'],
            ['GET', '/api/v1/auth/login', 'POST'], ['PUT', `/api/v1/orgs/${cust.org.id}/users`, 'GET'],
            ['POST', `/api/v1/users/${cust.admin.id}`, 'PATCH'], ['GET', `/api/v1/users/${cust.admin.id}/unlock`, 'POST'],
        ]) {
            const r = await srv.request(m, p, { token: cust.token });
            assertError(r, 405, 'method_not_allowed', `${m} ${p}`);
            assert.ok(r.headers.allow, `${m} ${p}: Allow header (RFC 9110)`);
            assert.ok(r.headers.allow.split(/\s*,\s*/).includes(allowed), `${m} ${p}: Allow ${r.headers.allow} lists ${allowed}`);
        }
    });

    test('API missing or bad bearer token -> 401 unauthorized, before looking at the body', async () => {
        for (const token of [undefined, '', 'x', 'Bearer']) {
            const r = await srv.request('POST', usersPath, token === undefined ? { body: validUser() } : { token, body: validUser() });
            assertError(r, 401, 'unauthorized', `token ${JSON.stringify(token)}`);
        }
    });

    test('API the test clock answers only POST with a valid body', async () => {
        for (const body of [{}, { advance_seconds: 'x' }, { advance_seconds: 1, extra: 1 }]) {
            const r = await srv.request('POST', '/_test/clock', { body });
            assertStatus(r, 400, JSON.stringify(body));
        }
    });
});
