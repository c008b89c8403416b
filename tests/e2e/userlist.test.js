// SPDX-License-Identifier: Apache-2.0
// An org's user list paged on the server (keyset by username, no OFFSET) and searched by
// username, name or email, as the portal's Users page asks for it when an org has many users;
// TEN-3 still decides who may list.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, assertError, createOrg, createOrgTree, createUser, tokenOf, uniq } from './lib/server.js';

let srv;
let tree;
const made = []; // {username, last_name, email}

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [['C', { type: 'customer', users: ['customer_user', 'print_manager'] }]]);
    const tag = uniq();
    for (let i = 0; i < 23; i++) {
        const body = { username: `u${String(i).padStart(2, '0')}.${tag}`,
            email: `person${i}@example.test`, last_name: i % 5 === 0 ? 'Smith' : 'Doe' };
        await createUser(srv, tree.C.token, tree.C.org, { role: 'customer_user', username: body.username,
            extra: { email: body.email, last_name: body.last_name } });
        made.push(body);
    }
});

after(async () => {
    if (srv)
        await srv.stop();
});

const listUrl = (q) => `/api/v1/orgs/${tree.C.org.id}/users?${new URLSearchParams(q)}`;

describe('the user list, paged and searched on the server', () => {
    test('pages of 10 by username: every user once, in order, next null on the last page', async () => {
        const all = (await srv.request('GET', `/api/v1/orgs/${tree.C.org.id}/users`, { token: tree.C.token })).json.items;
        assert.equal(all.length, made.length + 3, 'the invited users, the admin, the user and the print manager');
        assert.equal(all[0].next, undefined);
        const seen = [];
        let after = null;
        for (let page = 0; page < 10; page++) {
            const r = await srv.request('GET', listUrl(after ? { limit: 10, after } : { limit: 10 }), { token: tree.C.token });
            assertStatus(r, 200, `page ${page}`);
            assert.ok(r.json.items.length <= 10);
            seen.push(...r.json.items.map((u) => u.username));
            after = r.json.next;
            if (after === null)
                break;
            assert.equal(after, r.json.items.at(-1).username, 'next is the last username of the page');
        }
        assert.equal(after, null, 'the last page says so');
        assert.deepEqual(seen, all.map((u) => u.username), 'the same users in the same order as the whole list');
    });

    test('search by last name, username or email, case-insensitive; % and _ are not wildcards', async () => {
        const smiths = await srv.request('GET', listUrl({ q: 'SMITH' }), { token: tree.C.token });
        assertStatus(smiths, 200);
        assert.deepEqual(smiths.json.items.map((u) => u.username),
            made.filter((m) => m.last_name === 'Smith').map((m) => m.username));
        assert.equal(smiths.json.next, null);
        const one = await srv.request('GET', listUrl({ q: 'person17@' }), { token: tree.C.token });
        assert.deepEqual(one.json.items.map((u) => u.username), [made[17].username]);
        const byName = await srv.request('GET', listUrl({ q: made[3].username.toUpperCase(), limit: 5 }), { token: tree.C.token });
        assert.deepEqual(byName.json.items.map((u) => u.username), [made[3].username]);
        for (const q of ['%', '_', 'u0_'])
            assert.equal((await srv.request('GET', listUrl({ q }), { token: tree.C.token })).json.items.length, 0, `"${q}" is literal`);
    });

    test('the search follows renames and deletions at once; a first and last name together find the person; another org\'s users never', async () => {
        const all = (await srv.request('GET', listUrl({}), { token: tree.C.token })).json.items;
        const u = all.find((x) => x.username === made[5].username);
        const find = async (q) => (await srv.request('GET', listUrl({ q }), { token: tree.C.token })).json.items.map((x) => x.username);
        const name = `Quixotic-${Date.now().toString(36).replace(/[0-9]/g, (d) => 'abcdefghij'[d])}`; // letters only
        assert.deepEqual(await find(name), [], 'not yet');
        assertStatus(await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: tree.C.token, body: { first_name: 'Rosa', last_name: name } }), 200, 'rename');
        assert.deepEqual(await find(name.toLowerCase()), [u.username], 'the new name, at once');
        assert.deepEqual(await find(`rosa ${name}`), [u.username], 'first and last name together');
        const other = await createOrg(srv, tree.root.token, { parentId: tree.root.org.id, type: 'customer', name: `Other ${uniq()}` });
        await createUser(srv, other.token, other.org, { role: 'customer_user', extra: { last_name: name } });
        assert.deepEqual(await find(name), [u.username], 'a namesake in another org stays out');
        assertStatus(await srv.request('DELETE', `/api/v1/users/${u.id}`, { token: tree.C.token }), 204, 'delete');
        assert.deepEqual(await find(name), [], 'gone with the user');
    });

    test('a bad limit is refused with what is allowed; TEN-3 still decides who may list', async () => {
        for (const limit of ['0', '1001', 'ten', '5x'])
            assertError(await srv.request('GET', listUrl({ limit }), { token: tree.C.token }), 400, 'invalid_request', `limit ${limit}`);
        const user = await tokenOf(srv, tree.C.users.customer_user);
        assertStatus(await srv.request('GET', listUrl({ limit: 5 }), { token: user }), 404, 'a customer user sees no other users');
        assertStatus(await srv.request('GET', listUrl({ q: 'smith' }), { token: tree.root.token }), 404, 'the parent provider reads no users');
    });
});
