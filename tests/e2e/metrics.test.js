// SPDX-License-Identifier: Apache-2.0
// OPS-3 GET /metrics: Prometheus' text format, read with a parser nobody here wrote
// (npm parse-prometheus-text-format); loopback-only by default, bearer token when set;
// the counters follow what happens (logins, lockouts, throttling, responses).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startServer, assertStatus, assertError, createOrg, createUser, uniq } from './lib/server.js';

/** {name: {labelsKey: value}} from a scrape. */
function scrape(text) {
    const out = {};
    for (const family of parsePrometheusTextFormat(text)) {
        out[family.name] = { type: family.type };
        for (const m of family.metrics)
            out[family.name][JSON.stringify(m.labels || {})] = Number(m.value);
    }
    return out;
}

const value = (s, name, labels = {}) => s[name][JSON.stringify(labels)];

describe('OPS-3 metrics', () => {
    let srv;
    before(async () => {
        srv = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '5' } });
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    const get = async () => {
        const r = await srv.request('GET', '/metrics');
        assertStatus(r, 200);
        assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
        return scrape(r.text);
    };

    test('OPS-3 a loopback client reads well-formed metrics; the counters follow logins, lockouts and throttling', async () => {
        const before = await get();
        for (const [name, type] of [['quire_http_responses_total', 'COUNTER'], ['quire_http_requests_in_flight', 'GAUGE'],
            ['quire_password_checks_total', 'COUNTER'], ['quire_accounts_locked_total', 'COUNTER'],
            ['quire_password_hash_queue', 'GAUGE'], ['quire_backups_total', 'COUNTER'],
            ['quire_backup_last_success_timestamp_seconds', 'GAUGE'], ['quire_start_time_seconds', 'GAUGE']])
            assert.equal(before[name]?.type, type, `${name} is a ${type}`);
        assert.ok(value(before, 'quire_http_requests_in_flight') >= 1, 'the scrape itself is in flight');
        assert.ok(Math.abs(value(before, 'quire_start_time_seconds') - Date.now() / 1000) < 3600);

        const rt = await srv.rootToken();
        const org = await createOrg(srv, rt, { parentId: srv.root.orgId, type: 'customer' });
        const u = await createUser(srv, org.token, org.org, { role: 'customer_user' });
        // The per-source limit counts per clock minute: start at the top of one.
        const now = await srv.clockNow();
        await srv.advanceClock(60 - (now % 60));
        const mid = await get();
        for (let i = 0; i < 3; i++)
            assertStatus(await srv.tryLogin(u.slug, u.username, `Wrong-Pass-${i}z!`), 401);
        assertStatus(await srv.tryLogin(u.slug, `nobody.${uniq()}`, 'Wrong-Pass-9z!'), 401);
        assertStatus(await srv.tryLogin(u.slug, u.username, u.password), 401, 'locked');
        assertError(await srv.tryLogin(u.slug, u.username, u.password), 429, 'too_many_requests', 'five failures: throttled');
        const after = await get();
        const delta = (name, labels) => value(after, name, labels) - value(mid, name, labels);
        assert.equal(delta('quire_password_checks_total', { result: 'failed' }), 5, '3 wrong, 1 unknown user, 1 locked');
        assert.equal(delta('quire_password_checks_total', { result: 'throttled' }), 1);
        assert.equal(delta('quire_password_checks_total', { result: 'ok' }), 0);
        assert.equal(delta('quire_accounts_locked_total'), 1);
        assert.equal(delta('quire_http_responses_total', { code: '4xx' }), 6);
        assert.ok(delta('quire_http_responses_total', { code: '2xx' }) >= 1, 'the previous scrape');
        // Nothing about who: no username, org or address in the metrics.
        const text = (await srv.request('GET', '/metrics')).text;
        for (const s of [u.username, org.org.slug, org.org.id, '127.0.0.1'])
            assert.ok(!text.includes(s), `"${s}" is not in the metrics`);
    });
});

describe('OPS-3 metrics with metrics_token', () => {
    let srv;
    const token = `m-${uniq(16)}`;
    before(async () => {
        srv = await startServer({ env: { QUIRE_METRICS_TOKEN: token } });
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    test('OPS-3 with a token configured only that bearer token reads them, loopback or not', async () => {
        assertError(await srv.request('GET', '/metrics'), 403, 'forbidden', 'loopback without the token');
        assertError(await srv.request('GET', '/metrics', { token: `${token}x` }), 403, 'forbidden');
        assertError(await srv.request('GET', '/metrics', { token: token.slice(0, -1) }), 403, 'forbidden');
        assertError(await srv.request('GET', '/metrics', { token: await srv.rootToken() }), 403, 'forbidden', 'a user token is not it');
        const r = await srv.request('GET', '/metrics', { token });
        assertStatus(r, 200);
        assert.ok(scrape(r.text).quire_http_responses_total);
    });
});
