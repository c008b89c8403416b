// SPDX-License-Identifier: Apache-2.0
// REP-5: a customer admin, when its provider enabled the feature "api_keys", creates API keys
// (OAuth clients with scopes users:read / joblog:read) that read the org's users and job log
// with the client credentials grant and nothing else; shown once, revocable, last use
// recorded, audited. The example script docs/examples/api-key.sh runs against the server.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, assertError, createOrgTree, run, REPO_ROOT } from './lib/server.js';

let srv, tree, device;

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
        ['cB', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    // A device in cA reports three jobs (the job log an API key reads).
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.pA.org.id}`,
        { token: tree.root.token, body: { license: { devices: 10, features: ['print', 'scan', 'api_keys'] } } }), 200);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
        { token: tree.pA.token, body: { license: { devices: 1 } } }), 200);
    device = (await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`,
        { token: tree.cA.token, body: { serial: 'KEY-MFP-1' } })).json;
    const dt = (await form({ grant_type: 'client_credentials' }, [device.client_id, device.client_secret])).json.access_token;
    for (const body of [
        { user_id: tree.cA.users.customer_user.id, type: 'print', pages: 3, copies: 2, color: true, duplex: true },
        { type: 'copy', pages: 2, color: false, duplex: false },
        { user_id: tree.cA.users.customer_user.id, type: 'scan', pages: 5, color: false, duplex: false }])
        assertStatus(await srv.request('POST', '/api/v1/device/log', { token: dt, body }), 201, 'device log');
});

after(async () => {
    if (srv)
        await srv.stop();
});

function form(fields, basic) {
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (basic)
        headers.Authorization = 'Basic ' + Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64');
    return srv.request('POST', '/oauth/token', { rawBody: new URLSearchParams(fields).toString(), headers });
}

/** An OAuth error answer (RFC 6749 5.2): {"error", "error_description"}. */
function assertOAuthError(res, status, code, what = '') {
    assertStatus(res, status, what);
    assert.equal(res.json.error, code, `${what}: ${res.text}`);
    assert.equal(typeof res.json.error_description, 'string');
}

const clients = (org, token) => srv.request('GET', `/api/v1/orgs/${org.id}/clients`, { token });
const createKey = (org, token, body) => srv.request('POST', `/api/v1/orgs/${org.id}/clients`, { token, body });
const enable = (features) => srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
    { token: tree.pA.token, body: { license: { features } } });

async function tokenFor(key, scope) {
    const r = await form(scope === undefined ? { grant_type: 'client_credentials' }
        : { grant_type: 'client_credentials', scope }, [key.client_id, key.client_secret]);
    assertStatus(r, 200, `token for scope ${scope}`);
    return r.json;
}

describe('API keys', () => {
    let key; // users:read + joblog:read of cA

    test('REP-5 without the feature "api_keys" a customer admin gets 403 naming it, and nothing is made', async () => {
        const before = (await clients(tree.cA.org, tree.cA.token)).json.items.length;
        const r = await createKey(tree.cA.org, tree.cA.token, { name: 'BI export', scopes: ['users:read'] });
        assertError(r, 403, 'feature_disabled');
        assert.match(r.json.message, /"api_keys"/);
        assert.equal((await clients(tree.cA.org, tree.cA.token)).json.items.length, before);
    });

    test('REP-5 bad scopes are refused with 400 and change nothing', async () => {
        assertStatus(await enable(['print', 'scan', 'api_keys']), 200, 'provider enables api_keys');
        const before = (await clients(tree.cA.org, tree.cA.token)).json.items.length;
        for (const body of [
            { name: 'k', scopes: [] },
            { name: 'k', scopes: ['users:write'] },
            { name: 'k', scopes: ['audit:read', 'users:read'] },
            { name: 'k', scopes: 'users:read' },
            { name: 'k', scopes: ['users:read', 'users:read'] },
            { name: 'k', scopes: [7] },
            { name: 'k', scopes: ['users:read'], public: true },
            { name: 'k', scopes: ['users:read'], redirect_uris: ['https://example.com/cb'] }]) {
            const r = await createKey(tree.cA.org, tree.cA.token, body);
            assertError(r, 400, 'invalid_request', JSON.stringify(body));
        }
        const unknown = await createKey(tree.cA.org, tree.cA.token, { name: 'k', scopes: ['users:write'] });
        assert.match(unknown.json.message, /users:write.*users:read joblog:read/);
        assert.equal((await clients(tree.cA.org, tree.cA.token)).json.items.length, before);
        // A customer user is no admin: 403 (the org is theirs to see, not to change).
        const user = await srv.login(tree.cA.org.slug, tree.cA.users.customer_user.username, tree.cA.users.customer_user.password);
        assert.ok([403, 404].includes((await createKey(tree.cA.org, user.access_token, { name: 'k', scopes: ['users:read'] })).status));
    });

    test('REP-5 a key is made with its scopes, its secret shown once, and audited', async () => {
        const r = await createKey(tree.cA.org, tree.cA.token, { name: 'BI export', scopes: ['joblog:read', 'users:read'] });
        assertStatus(r, 201, 'create key');
        key = r.json;
        assert.match(key.client_id, /^[0-9a-f]{32}$/);
        assert.ok(key.client_secret.length >= 40);
        assert.deepEqual(key.scopes, ['users:read', 'joblog:read']);
        assert.equal(key.created_by, tree.cA.admin.id);
        assert.equal(key.last_used_at, null);
        assert.equal(key.public, false);
        const listed = (await clients(tree.cA.org, tree.cA.token)).json.items.find((c) => c.client_id === key.client_id);
        const { client_secret: _secret, ...shown } = key;
        assert.deepEqual(listed, shown, 'the list shows the key as made, without its secret');
        const audit = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/audit`, { token: tree.cA.token });
        const ev = audit.json.items.find((e) => e.action === 'api_key_created' && e.target_id === key.client_id);
        assert.ok(ev, 'api_key_created in the audit log');
        assert.equal(ev.actor_id, tree.cA.admin.id);
        assert.doesNotMatch(JSON.stringify(audit.json), new RegExp(key.client_secret), 'no secret in the audit log');
    });

    test('REP-5 the client credentials grant issues a token with a subset of the key\'s scopes; last use recorded', async () => {
        const now = await srv.advanceClock(120);
        const all = await tokenFor(key);
        assert.equal(all.scope, 'users:read joblog:read');
        assert.equal(all.refresh_token, undefined);
        assert.equal((await tokenFor(key, 'users:read')).scope, 'users:read');
        assert.equal((await tokenFor(key, 'joblog:read users:read')).scope, 'users:read joblog:read');
        for (const scope of ['audit:read', 'users:read users:write', 'openid'])
            assertOAuthError(await form({ grant_type: 'client_credentials', scope },
                [key.client_id, key.client_secret]), 400, 'invalid_scope', scope);
        const listed = (await clients(tree.cA.org, tree.cA.token)).json.items.find((c) => c.client_id === key.client_id);
        // The test clock runs on with real time from where it was moved: the token was
        // issued between now and the server's time after the listing.
        assert.ok(listed.last_used_at >= now && listed.last_used_at <= await srv.clockNow(),
            `last_used_at ${listed.last_used_at} is the time of the last token (from ${now})`);
        assertStatus(await form({ grant_type: 'client_credentials' }, [key.client_id, 'x' + key.client_secret]), 401, 'wrong secret');
    });

    test('REP-5 a key reads its org\'s users and job log, each only with its scope', async () => {
        const t = (await tokenFor(key)).access_token;
        const users = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: t });
        assertStatus(users, 200, 'users');
        assert.deepEqual(users.json.items.map((u) => u.username).sort(),
            [tree.cA.admin.username, tree.cA.users.customer_user.username].sort());
        const log = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: t });
        assertStatus(log, 200, 'log');
        assert.deepEqual(log.json.items.map((e) => [e.device_serial, e.username, e.type, e.pages]).sort(),
            [['KEY-MFP-1', tree.cA.users.customer_user.username, 'print', 3],
                ['KEY-MFP-1', null, 'copy', 2],
                ['KEY-MFP-1', tree.cA.users.customer_user.username, 'scan', 5]].sort());
        assert.ok(log.json.items.every((e) => typeof e.time === 'number'));

        const usersOnly = (await tokenFor(key, 'users:read')).access_token;
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: usersOnly }), 200);
        assertError(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: usersOnly }), 403, 'insufficient_scope');
        const logOnly = (await tokenFor(key, 'joblog:read')).access_token;
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log`, { token: logOnly }), 200);
        const r = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: logOnly });
        assertError(r, 403, 'insufficient_scope');
        assert.match(r.json.message, /users:read/);
    });

    test('REP-5 an OAuth client without scopes gets no scope by asking, and reads nothing', async () => {
        const plain = await createKey(tree.cA.org, tree.cA.token, { name: 'code-flow app' });
        assertStatus(plain, 201);
        assert.deepEqual(plain.json.scopes, []);
        const r = await form({ grant_type: 'client_credentials', scope: 'users:read joblog:read' },
            [plain.json.client_id, plain.json.client_secret]);
        assertStatus(r, 200);
        assert.equal(r.json.scope, undefined);
        for (const what of ['users', 'log'])
            assertError(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/${what}`,
                { token: r.json.access_token }), 403, 'insufficient_scope', what);
        assertStatus(await srv.request('DELETE', `/api/v1/clients/${plain.json.client_id}`, { token: tree.cA.token }), 204);
    });

    test('REP-5 TEN-2 a key of org A never reads another org', async () => {
        const t = (await tokenFor(key)).access_token;
        for (const org of [tree.cB.org, tree.pA.org, tree.root.org]) {
            for (const what of ['users', 'log']) {
                const r = await srv.request('GET', `/api/v1/orgs/${org.id}/${what}`, { token: t });
                assertStatus(r, 404, `${what} of another org`);
                assert.equal(r.json.items, undefined);
            }
        }
        // A key of cB reads cB only, and its users are not cA's.
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cB.org.id}`,
            { token: tree.pA.token, body: { license: { features: ['print', 'api_keys'] } } }), 200);
        const kb = (await createKey(tree.cB.org, tree.cB.token, { name: 'b', scopes: ['users:read'] })).json;
        const tb = (await tokenFor(kb)).access_token;
        const ub = await srv.request('GET', `/api/v1/orgs/${tree.cB.org.id}/users`, { token: tb });
        assertStatus(ub, 200);
        assert.ok(ub.json.items.every((u) => u.org_id === tree.cB.org.id));
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: tb }), 404);
    });

    test('REP-5 every other route refuses an API key\'s token (401/403), walking openapi.yaml', async () => {
        const t = (await tokenFor(key)).access_token;
        const ops = openapiOperations();
        assert.ok(ops.length > 60, `openapi.yaml lists the routes (${ops.length})`);
        const allowed = new Set(['GET /api/v1/orgs/{id}/users', 'GET /api/v1/orgs/{id}/log']);
        let walked = 0;
        for (const { method, route, open } of ops) {
            if (open)
                continue; // no authentication at all (health, sign-in pages, token endpoint...)
            const p = route.replace(/\{(\w+)\}/g, (_, name) => (name === 'n' ? '1' : name === 'name' ? 'app.js' : tree.cA.org.id));
            const r = await srv.request(method.toUpperCase(), p, { token: t, ...(['post', 'put', 'patch'].includes(method) ? { body: {} } : {}) });
            const op = `${method.toUpperCase()} ${route}`;
            if (allowed.has(op))
                assertStatus(r, 200, op);
            else
                assert.ok([401, 403].includes(r.status), `${op} answers ${r.status} to an API key: ${r.text.slice(0, 200)}`);
            walked++;
        }
        assert.ok(walked > 50, `walked ${walked} routes`);
    });

    test('REP-5 the example script gets a token, lists the users and pages the job log', async () => {
        const script = (pageSize) => run('sh', [path.join(REPO_ROOT, 'docs/examples/api-key.sh')], {
            ...process.env, QUIRE_URL: `https://localhost:${srv.port}`, QUIRE_CACERT: path.join(srv.dataDir, 'tls', 'cert.pem'),
            QUIRE_CLIENT_ID: key.client_id, QUIRE_CLIENT_SECRET: key.client_secret, QUIRE_ORG_ID: tree.cA.org.id,
            QUIRE_PAGE_SIZE: String(pageSize) });
        const parse = (stdout) => {
            const [usersPart, logPart] = stdout.split('# job log\n');
            return {
                users: usersPart.replace('# users\n', '').trim().split('\n').map((l) => l.split('\t')[1]).sort(),
                log: logPart.trim().split('\n').map((l) => l.split('\t')).map((f) => `${f[1]} ${f[3]} ${f[4]}`).sort(),
            };
        };
        const everything = ['KEY-MFP-1 copy 2', 'KEY-MFP-1 print 3', 'KEY-MFP-1 scan 5'];
        let r = await script(100);
        assert.equal(r.code, 0, r.stderr);
        let out = parse(r.stdout);
        assert.deepEqual(out.users, [tree.cA.admin.username, tree.cA.users.customer_user.username].sort());
        assert.deepEqual(out.log, everything);
        // Pages of 2: when the server pages the log by cursor ("next"), the script follows it.
        const t = (await tokenFor(key)).access_token;
        const first = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/log?limit=2`, { token: t });
        r = await script(2);
        assert.equal(r.code, 0, r.stderr);
        out = parse(r.stdout);
        if ('next' in first.json)
            assert.deepEqual(out.log, everything, 'all pages');
        else
            assert.equal(out.log.length, 2, 'one page without cursor paging');
    });

    test('REP-5 revoking a key stops its tokens at once and is audited; turning the feature off stops keys', async () => {
        const t = (await tokenFor(key)).access_token;
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: t }), 200);
        // The provider turns the feature off: the token stops, and no new one is issued.
        assertStatus(await enable(['print', 'scan']), 200);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: t }), 401, 'feature off');
        assertOAuthError(await form({ grant_type: 'client_credentials' }, [key.client_id, key.client_secret]), 400, 'unauthorized_client');
        assertStatus(await enable(['print', 'scan', 'api_keys']), 200);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: t }), 200, 'feature back on');

        assertStatus(await srv.request('DELETE', `/api/v1/clients/${key.client_id}`, { token: tree.cA.token }), 204);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: t }), 401, 'revoked key');
        assertStatus(await form({ grant_type: 'client_credentials' }, [key.client_id, key.client_secret]), 401, 'revoked key: no token');
        const audit = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/audit`, { token: tree.cA.token });
        assert.ok(audit.json.items.some((e) => e.action === 'api_key_revoked' && e.target_id === key.client_id));
    });
});

/** Every operation in docs/openapi.yaml: {method, route, open} (open: `security: []`). */
function openapiOperations() {
    const lines = fs.readFileSync(path.join(REPO_ROOT, 'docs/openapi.yaml'), 'utf8').split('\n');
    const ops = [];
    let inPaths = false, route = null, op = null;
    for (const line of lines) {
        if (/^paths:/.test(line)) {
            inPaths = true;
            continue;
        }
        if (inPaths && /^\S/.test(line))
            inPaths = false;
        if (!inPaths)
            continue;
        let m;
        if ((m = /^ {2}(\/\S*):\s*$/.exec(line))) {
            route = m[1];
            op = null;
        } else if (route && (m = /^ {4}(get|post|put|patch|delete):\s*$/.exec(line))) {
            op = { method: m[1], route, open: false };
            ops.push(op);
        } else if (op && (/^ {6}security: \[\]/.test(line) || /^ {8}- \{\}/.test(line))) {
            op.open = true; // no authentication, or optional (a browser's session)
        }
    }
    return ops;
}
