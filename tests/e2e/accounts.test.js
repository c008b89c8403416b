// SPDX-License-Identifier: Apache-2.0
// Account input rules (AUTH-2, AUTH-3, AUTH-4), secrets never returned, and self-service
// changes to read-only attributes (AUTH-12).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, createUser, tokenOf, strongPassword, uniq,
    sqlLiteral,
} from './lib/server.js';

let srv;
let cust;      // {org, admin, token}
let adminMe;   // the customer admin's own user object

before(async () => {
    srv = await startServer();
    const rootToken = await srv.rootToken();
    cust = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'customer' });
    const me = await srv.request('GET', '/api/v1/me', { token: cust.token });
    assertStatus(me, 200);
    adminMe = me.json;
});

after(async () => {
    if (srv)
        await srv.stop();
});

function newUser(fields) {
    return srv.request('POST', `/api/v1/orgs/${cust.org.id}/users`, {
        token: cust.token,
        body: { username: `user.${uniq()}`, role: 'customer_user', password: strongPassword(), ...fields },
    });
}

async function userList() {
    const r = await srv.request('GET', `/api/v1/orgs/${cust.org.id}/users`, { token: cust.token });
    assertStatus(r, 200);
    return r.json.items.map((u) => u.username).sort();
}

/** Every key, at any depth, of a JSON value, except those of a boolean (a flag such as
 * password_change_required holds no secret). */
function allKeys(v, out = []) {
    if (Array.isArray(v))
        v.forEach((x) => allKeys(x, out));
    else if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
            if (typeof x !== 'boolean')
                out.push(k);
            allKeys(x, out);
        }
    return out;
}

function assertNoSecrets(json, what) {
    const bad = allKeys(json).filter((k) => /pass|hash|salt|secret|argon/i.test(k));
    assert.deepEqual(bad, [], `${what}: no password or hash field`);
    assert.doesNotMatch(JSON.stringify(json), /\$argon2/, `${what}: no Argon2 hash`);
}

describe('AUTH-2 password rules', () => {
    const cases = [
        ['shorter than 8 characters', 'Ab1!xyz', /8|short|length|characters/i],
        ['longer than 64 characters', `Ab1!${'x'.repeat(61)}`, /64|long|length|characters/i],
        ['no upper-case letter', 'quire-test-7x!', /upper/i],
        ['no lower-case letter', 'QUIRE-TEST-7X!', /lower/i],
        ['no digit', 'Quire-Test-xx!', /digit/i],
        ['no symbol', 'QuireTest7xyz', /symbol|special/i],
        ['non-ASCII character', 'Quire-Tést-7x!', /ascii/i],
        ['one of the most common passwords', 'P@ssw0rd', /common/i],
        ['a common password in other letter case', 'p@SSW0RD', /common/i],
    ];
    for (const [name, password, rule] of cases) {
        test(`AUTH-2 password refused: ${name}; the message names the rule`, async () => {
            const before = await userList();
            const r = await newUser({ password });
            assertError(r, 400, 'invalid_password');
            assert.match(r.json.message, rule);
            assert.ok(!r.json.message.includes(password), 'the message does not quote the password');
            assert.deepEqual(await userList(), before, 'no user was created');
        });
    }

    test('AUTH-2 password containing the username is refused', async () => {
        const username = `henrietta${uniq(2)}`;
        for (const password of [`Xx1!${username}`, `Xx1!${username.toUpperCase()}`]) {
            const r = await newUser({ username, password });
            assertError(r, 400, 'invalid_password');
            assert.match(r.json.message, /user ?name/i);
        }
    });

    test('AUTH-2 passwords of exactly 8 and 64 characters with every class are accepted', async () => {
        for (const password of ['Qt7!zmwk', `Qt7!${'zmwkrvbn'.repeat(7)}zmwkrvbn`.slice(0, 64)]) {
            assert.ok(password.length === 8 || password.length === 64);
            const r = await newUser({ password });
            assertStatus(r, 201, `password of ${password.length}`);
        }
    });

    test('AUTH-2 every listed symbol counts as a symbol', async () => {
        for (const sym of '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') {
            const r = await newUser({ password: `Qz7k${sym}mwrt` });
            assertStatus(r, 201, `symbol ${sym}`);
        }
    });

    test('AUTH-2 a password change through PATCH and /me/password follows the same rules', async () => {
        const u = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        const ut = await tokenOf(srv, u);
        let r = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: cust.token, body: { password: 'nodigits-here!X' } });
        assertError(r, 400, 'invalid_password');
        assert.match(r.json.message, /digit/i);
        r = await srv.request('POST', '/api/v1/me/password', { token: ut, body: { current_password: u.password, new_password: 'Short1!' } });
        assertError(r, 400, 'invalid_password');
        r = await srv.request('POST', '/api/v1/me/password', { token: ut, body: { current_password: u.password, new_password: `A1!${u.username}` } });
        assertError(r, 400, 'invalid_password');
        const next = strongPassword();
        r = await srv.request('POST', '/api/v1/me/password', { token: ut, body: { current_password: u.password, new_password: next } });
        assertStatus(r, 204);
        assertError(await srv.tryLogin(u.slug, u.username, u.password), 401, 'invalid_credentials', 'old password');
        await srv.login(u.slug, u.username, next);
    });

    test('AUTH-2 a generated password satisfies the rules and is shown once', async () => {
        const username = `gen.${uniq()}`;
        const r = await srv.request('POST', `/api/v1/orgs/${cust.org.id}/users`,
            { token: cust.token, body: { username, role: 'customer_user' } });
        assertStatus(r, 201);
        const p = r.json.password;
        assert.equal(typeof p, 'string', 'generated password returned on create');
        assert.ok(p.length >= 8 && p.length <= 64);
        assert.match(p, /[A-Z]/);
        assert.match(p, /[a-z]/);
        assert.match(p, /[0-9]/);
        assert.match(p, /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/);
        assert.match(p, /^[\x21-\x7e]+$/);
        const { password: _once, ...rest } = r.json;
        assertNoSecrets(rest, 'create response besides the one-time password');
        if (r.json.active === false)
            assertStatus(await srv.request('PATCH', `/api/v1/users/${r.json.id}`, { token: cust.token, body: { active: true } }), 200);
        const t = await srv.login(cust.org.slug, username, p);
        const me = await srv.request('GET', '/api/v1/me', { token: t.access_token });
        assert.equal(me.json.password_change_required, true, 'a generated password is one-time');
        const g = await srv.request('GET', `/api/v1/users/${r.json.id}`, { token: cust.token });
        assert.equal(g.json.password_change_required, true, 'the admin sees it has not been replaced yet');
        assertStatus(g, 200);
        assertNoSecrets(g.json, 'GET user');
        assert.ok(!g.text.includes(p), 'the generated password is not shown again');
    });
});

describe('AUTH-3 username rules', () => {
    const forbidden = ['\\', '/', ':', ';', ',', '*', '?', '"', '<', '>', '[', ']', '{', '}', '$', '%', '`', '&', '(', ')', '+', '=', '!', '#', "'", '~', '^', ' '];
    test('AUTH-3 usernames with a forbidden character are refused and the message names it', async () => {
        const before = await userList();
        for (const ch of forbidden) {
            const r = await newUser({ username: `ab${ch}cd${uniq(2)}` });
            assertError(r, 400, 'invalid_username', `username with ${JSON.stringify(ch)}`);
            if (ch === ' ')
                assert.match(r.json.message, /space|' '/i);
            else
                assert.ok(r.json.message.includes(ch), `message names ${ch}: ${r.json.message}`);
        }
        assert.deepEqual(await userList(), before, 'no user was created');
    });

    test('AUTH-3 usernames shorter than 4 or longer than 64 characters are refused', async () => {
        for (const username of ['abc', 'a'.repeat(65), '']) {
            const r = await newUser({ username });
            // An empty username may also be refused as a missing field.
            assertError(r, 400, username ? 'invalid_username' : ['invalid_username', 'invalid_request'], `length ${username.length}`);
            assert.match(r.json.message, /4|64|short|long|length|characters|empty/i);
        }
    });

    test('AUTH-3 usernames of 4 and 64 characters, with . - _ @ and non-ASCII letters, are accepted', async () => {
        for (const username of [`a${uniq(1).slice(0, 2)}b`, `u${uniq(4)}${'x'.repeat(55)}`.slice(0, 64), `jo.doe-x_${uniq(2)}@acme`, `zoë.${uniq(2)}`]) {
            const r = await newUser({ username });
            assertStatus(r, 201, `username ${username} (${[...username].length})`);
            assert.equal(r.json.username, username);
        }
    });

    test('AUTH-3 username is read-only once created', async () => {
        const u = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        const r = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: cust.token, body: { username: `renamed.${uniq()}` } });
        assertError(r, 403, 'read_only_field');
        const g = await srv.request('GET', `/api/v1/users/${u.id}`, { token: cust.token });
        assert.equal(g.json.username, u.username);
    });
});

describe('AUTH-4 first and last name rules', () => {
    test('AUTH-4 names with digits or other symbols are refused and the message names the field', async () => {
        for (const [field, value] of [
            ['first_name', 'J0hn'], ['last_name', 'Smith3'], ['first_name', 'Ann_Marie'], ['last_name', 'Doe!'],
            ['first_name', ' Ann'], ['last_name', 'Lee '], ['first_name', 'Mary  Ann'], ['last_name', 'O/Neil'],
            ['first_name', 'Ann\tMarie'], ['last_name', '٣Ali'],
        ]) {
            const r = await newUser({ [field]: value });
            assertError(r, 400, 'invalid_name', `${field}=${JSON.stringify(value)}`);
            assert.match(r.json.message, new RegExp(field), 'message names the field');
        }
    });

    test('AUTH-4 letters of any script and the allowed symbols are accepted and round-trip', async () => {
        for (const [first, last] of [
            ['Zoë', 'Ñúñez'], ['李', '小龙'], ['Ольга', 'Иванова'], ['Mary Ann', "O'Brien-Smith"],
            ['Jean-Luc', 'Picard.@+;"'], ['Søren', 'Kierkegaard'], ['أحمد', 'علي'], ['Zoë', 'Noël'],
        ]) {
            const r = await newUser({ first_name: first, last_name: last });
            assertStatus(r, 201, `${first} ${last}`);
            assert.equal(r.json.first_name, first);
            assert.equal(r.json.last_name, last);
            const g = await srv.request('GET', `/api/v1/users/${r.json.id}`, { token: cust.token });
            assert.equal(g.json.first_name, first);
            assert.equal(g.json.last_name, last);
        }
    });

    test('AUTH-4 name rules apply to PATCH /me and PATCH /users too', async () => {
        const u = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        const ut = await tokenOf(srv, u);
        assertError(await srv.request('PATCH', '/api/v1/me', { token: ut, body: { first_name: 'R2D2' } }), 400, 'invalid_name');
        assertError(await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: cust.token, body: { last_name: 'X1' } }), 400, 'invalid_name');
        const ok = await srv.request('PATCH', '/api/v1/me', { token: ut, body: { first_name: 'Élise', last_name: 'Müller' } });
        assertStatus(ok, 200);
        assert.equal(ok.json.first_name, 'Élise');
        assert.equal(ok.json.last_name, 'Müller');
    });
});

describe('AUTH-3 AUTH-4 legacy accounts', () => {
    test('AUTH-3 AUTH-4 an account created before the rules keeps logging in; every update must satisfy them', async () => {
        // An account whose username and names break today's rules, as an older release or
        // an import wrote it: set directly in the database (the API cannot create it).
        const u = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        const legacy = { username: `old user!${uniq(2)}`, first_name: 'R2-D2', last_name: 'Smith #3' };
        await srv.sql(`UPDATE users SET username = ${sqlLiteral(legacy.username)}, first_name = ${sqlLiteral(legacy.first_name)}, `
            + `last_name = ${sqlLiteral(legacy.last_name)} WHERE id = ${sqlLiteral(u.id)}`);
        assertError(await newUser({ username: legacy.username.replace('old', 'new') }), 400, 'invalid_username', 'the rule holds for new accounts');

        const t = await srv.tryLogin(cust.org.slug, legacy.username, u.password);
        assertStatus(t, 200, 'AUTH-3 the legacy username still logs in');
        const ut = t.json.access_token;
        const me = await srv.request('GET', '/api/v1/me', { token: ut });
        assertStatus(me, 200);
        assert.equal(me.json.username, legacy.username);
        assert.equal(me.json.first_name, legacy.first_name);

        // Updates that leave the legacy values alone go through and keep them.
        const email = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: cust.token, body: { email: 'legacy@example.com' } });
        assertStatus(email, 200, 'an admin update of another field');
        assert.equal(email.json.first_name, legacy.first_name);
        const last = await srv.request('PATCH', '/api/v1/me', { token: ut, body: { last_name: 'Smith' } });
        assertStatus(last, 200, 'the user fixes one name');
        assert.equal(last.json.last_name, 'Smith');
        assert.equal(last.json.first_name, legacy.first_name, 'the other legacy name stays');

        // A value written now must satisfy the rule, also a legacy-looking one.
        for (const [who, token, path] of [['user', ut, '/api/v1/me'], ['admin', cust.token, `/api/v1/users/${u.id}`]]) {
            const r = await srv.request('PATCH', path, { token, body: { first_name: 'C3-PO' } });
            assertError(r, 400, 'invalid_name', `${who} sets a name that breaks AUTH-4`);
            assert.match(r.json.message, /first_name/);
        }
        const rename = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: cust.token, body: { username: 'new.name' } });
        assertError(rename, 403, 'read_only_field', 'usernames never change');
        const after = await srv.request('GET', `/api/v1/users/${u.id}`, { token: cust.token });
        assert.equal(after.json.username, legacy.username);
        assert.equal(after.json.first_name, legacy.first_name);
        assert.equal(after.json.last_name, 'Smith');
    });
});

describe('AUTH-2 secrets are never returned', () => {
    test('AUTH-2 no password or hash field in GET user, user list, /me, PATCH or create responses', async () => {
        const password = strongPassword();
        const cr = await newUser({ password });
        assertStatus(cr, 201);
        assertNoSecrets(cr.json, 'create with a given password');
        assert.ok(!cr.text.includes(password), 'a given password is not echoed');
        const id = cr.json.id;
        if (cr.json.active === false)
            await srv.request('PATCH', `/api/v1/users/${id}`, { token: cust.token, body: { active: true } });
        const ut = (await srv.login(cust.org.slug, cr.json.username, password)).access_token;
        const responses = [
            ['GET user', await srv.request('GET', `/api/v1/users/${id}`, { token: cust.token })],
            ['GET users', await srv.request('GET', `/api/v1/orgs/${cust.org.id}/users`, { token: cust.token })],
            ['GET /me', await srv.request('GET', '/api/v1/me', { token: ut })],
            ['PATCH user', await srv.request('PATCH', `/api/v1/users/${id}`, { token: cust.token, body: { email: 'x@example.com' } })],
            ['PATCH /me', await srv.request('PATCH', '/api/v1/me', { token: ut, body: { last_name: 'Safe' } })],
            ['GET audit', await srv.request('GET', `/api/v1/orgs/${cust.org.id}/audit`, { token: cust.token })],
            // Last: a password change may end the user's sessions.
            ['PATCH user password', await srv.request('PATCH', `/api/v1/users/${id}`, { token: cust.token, body: { password: strongPassword() } })],
        ];
        for (const [what, r] of responses) {
            assertStatus(r, 200, what);
            if (r.json)
                assertNoSecrets(r.json, what);
            assert.ok(!r.text.includes(password), `${what} does not contain the password`);
        }
        for (const k of ['id', 'org_id', 'username', 'email', 'first_name', 'last_name', 'role', 'active', 'locked', 'created_at'])
            assert.ok(k in responses[0][1].json, `user object has ${k}`);
    });
});

describe('AUTH-12 read-only attributes', () => {
    let u;
    let ut;
    before(async () => {
        u = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        ut = await tokenOf(srv, u);
    });

    const RO = () => [
        ['role', 'customer_admin'], ['org_id', srv.root.orgId], ['username', `boss.${uniq()}`],
        ['id', typeof u.id === 'number' ? u.id + 1 : `${u.id}0`], ['active', false], ['locked', false],
    ];

    test('AUTH-12 PATCH /me of role, org_id, username, id, active, locked -> 403 read_only_field', async () => {
        const before = (await srv.request('GET', '/api/v1/me', { token: ut })).json;
        for (const [field, value] of RO()) {
            const r = await srv.request('PATCH', '/api/v1/me', { token: ut, body: { [field]: value } });
            assertError(r, 403, 'read_only_field', `PATCH /me ${field}`);
            const mixed = await srv.request('PATCH', '/api/v1/me', { token: ut, body: { first_name: 'Sneaky', [field]: value } });
            assertError(mixed, 403, 'read_only_field', `PATCH /me first_name + ${field}`);
        }
        const after = (await srv.request('GET', '/api/v1/me', { token: ut })).json;
        assert.deepEqual(after, before, 'nothing changed');
        assert.equal(after.role, 'customer_user');
    });

    test('AUTH-12 a non-admin cannot change own role, org_id or username via PATCH /users/{own id}', async () => {
        const before = (await srv.request('GET', '/api/v1/me', { token: ut })).json;
        for (const [field, value] of RO().slice(0, 3)) {
            const r = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: ut, body: { [field]: value } });
            assertStatus(r, 403, `PATCH /users/own ${field}`);
            assert.ok(['forbidden', 'read_only_field'].includes(r.json.error), r.text);
        }
        for (const role of ['customer_admin', 'print_manager', 'provider_admin']) {
            const r = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: ut, body: { role } });
            assertStatus(r, 403, `self-promotion to ${role}`);
        }
        const after = (await srv.request('GET', '/api/v1/me', { token: ut })).json;
        assert.deepEqual(after, before, 'nothing changed');
        // The new role would have shown in a fresh login too.
        const t = await tokenOf(srv, u);
        assert.equal((await srv.request('GET', '/api/v1/me', { token: t })).json.role, 'customer_user');
    });

    test('AUTH-12 a non-admin cannot unlock, activate or delete itself through the admin API', async () => {
        const r = await srv.request('DELETE', `/api/v1/users/${u.id}`, { token: ut });
        assertStatus(r, [403, 404]);
        assertStatus(await srv.request('GET', '/api/v1/me', { token: ut }), 200, 'still exists');
    });

    test('AUTH-12 an admin cannot demote, deactivate or delete itself (403 forbidden)', async () => {
        for (const body of [{ role: 'customer_user' }, { role: 'print_manager' }, { active: false }]) {
            const r = await srv.request('PATCH', `/api/v1/users/${adminMe.id}`, { token: cust.token, body });
            assertError(r, 403, 'forbidden', `admin PATCH self ${JSON.stringify(body)}`);
        }
        const d = await srv.request('DELETE', `/api/v1/users/${adminMe.id}`, { token: cust.token });
        assertError(d, 403, 'forbidden', 'admin deletes self');
        // Nor set their own password without the current one (that is /me/password's job).
        const pw = await srv.request('PATCH', `/api/v1/users/${adminMe.id}`, { token: cust.token, body: { password: strongPassword() } });
        assertError(pw, 403, 'forbidden', 'admin sets own password via the admin API');
        assert.match(pw.json.message, /\/api\/v1\/me\/password/);
        assertStatus(await srv.tryLogin(cust.admin.slug, cust.admin.username, cust.admin.password), 200, 'the password is unchanged');
        const me = await srv.request('GET', '/api/v1/me', { token: cust.token });
        assertStatus(me, 200);
        assert.equal(me.json.role, 'customer_admin');
        assert.equal(me.json.active, true);
    });

    test('AUTH-12 an admin may change role and active of another user; role must fit the org type', async () => {
        const v = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        let r = await srv.request('PATCH', `/api/v1/users/${v.id}`, { token: cust.token, body: { role: 'print_manager' } });
        assertStatus(r, 200);
        assert.equal(r.json.role, 'print_manager');
        r = await srv.request('PATCH', `/api/v1/users/${v.id}`, { token: cust.token, body: { role: 'provider_admin' } });
        assertError(r, 400, 'invalid_request', 'provider role in a customer org');
        r = await srv.request('PATCH', `/api/v1/users/${v.id}`, { token: cust.token, body: { role: 'superuser' } });
        assertError(r, 400, 'invalid_request', 'unknown role');
        r = await newUser({ role: 'provider_support' });
        assertError(r, 400, 'invalid_request', 'create with provider role in a customer org');
        r = await srv.request('PATCH', `/api/v1/users/${v.id}`, { token: cust.token, body: { active: false } });
        assertStatus(r, 200);
        assert.equal(r.json.active, false);
        assertError(await srv.tryLogin(v.slug, v.username, v.password), 401, 'invalid_credentials', 'AUTH-1 inactive user logs in');
    });
});

test('AUTH-6 email MFA cannot be switched on without email delivery', async () => {
    const { startServer: start } = await import('./lib/server.js');
    const s = await start();
    try {
        const t = (await s.login(s.root.slug, s.root.username, s.root.password)).access_token;
        const r = await s.request('PATCH', `/api/v1/orgs/${s.root.orgId}`, { token: t, body: { mfa_email: true } });
        assert.equal(r.status, 400);
        assert.match(r.json.message, /smtp_url/);
        const org = await s.request('GET', `/api/v1/orgs/${s.root.orgId}`, { token: t });
        assert.equal(org.json.mfa_email, false, 'nothing changed');
    } finally {
        await s.stop();
    }
});
