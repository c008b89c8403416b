// SPDX-License-Identifier: Apache-2.0
// Health endpoint, TLS protocol versions (SEC-1), clean shutdown (OPS-3), and the first start
// of quired on its embedded defaults.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, assertStatus, freePort, QUIRED } from './lib/server.js';

let srv;

before(async () => {
    srv = await startServer();
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** Tries a TLS handshake limited to one protocol version. Resolves {ok, protocol, code}. */
function handshake(version) {
    return new Promise((resolve) => {
        const s = tls.connect({
            host: '127.0.0.1',
            port: srv.port,
            servername: 'localhost',
            ca: srv.ca,
            minVersion: version,
            maxVersion: version,
            // OpenSSL 3 only offers TLS 1.0/1.1 at security level 0; the refusal must come
            // from the server, not from our own client.
            ciphers: 'DEFAULT:@SECLEVEL=0',
        });
        s.setTimeout(10000, () => s.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
        s.on('secureConnect', () => {
            const r = { ok: true, protocol: s.getProtocol(), authorized: s.authorized };
            s.end();
            resolve(r);
        });
        s.on('error', (e) => resolve({ ok: false, code: e.code, message: e.message }));
    });
}

describe('health', () => {
    test('OPS-3 GET /healthz answers 200 {"status":"ok"} without authentication', async () => {
        const r = await srv.request('GET', '/healthz');
        assertStatus(r, 200);
        assert.deepEqual(r.json, { status: 'ok' });
        assert.match(r.headers['content-type'] || '', /^application\/json/);
    });

    test('SEC-1 the self-signed certificate verifies for localhost', async () => {
        const r = await handshake('TLSv1.3');
        assert.ok(r.ok, `TLS 1.3 handshake failed: ${r.message}`);
        assert.equal(r.authorized, true);
    });

    for (const v of ['TLSv1', 'TLSv1.1']) {
        test(`SEC-1 a ${v} handshake is refused`, async () => {
            const r = await handshake(v);
            assert.equal(r.ok, false, `server accepted ${v} (negotiated ${r.protocol})`);
            assert.notEqual(r.code, 'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
                'the client could not offer the version at all, so the test proves nothing');
            // The server still works afterwards.
            const h = await srv.request('GET', '/healthz');
            assertStatus(h, 200);
        });
    }

    for (const v of ['TLSv1.2', 'TLSv1.3']) {
        test(`SEC-1 a ${v} handshake succeeds`, async () => {
            const r = await handshake(v);
            assert.ok(r.ok, `${v} handshake failed: ${r.code} ${r.message}`);
            assert.equal(r.protocol, v);
            assert.equal(r.authorized, true);
        });
    }

    test('SEC-1 plain HTTP on the TLS port gets no HTTP answer', async () => {
        const net = await import('node:net');
        const text = await new Promise((resolve) => {
            const s = net.connect(srv.port, '127.0.0.1', () => {
                s.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
            });
            const chunks = [];
            s.setTimeout(10000, () => s.destroy());
            s.on('data', (c) => chunks.push(c));
            s.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
            s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        });
        assert.doesNotMatch(text, /^HTTP\/1\.[01] 200/, 'served over plain HTTP');
        const h = await srv.request('GET', '/healthz');
        assertStatus(h, 200);
    });

    test('SEC-1 every connection quired holds to PostgreSQL is TLS', { skip: !process.env.QUIRE_TEST_PG_URL && 'SQLite run: no database connection' }, async () => {
        assertStatus(await srv.request('GET', '/healthz'), 200);
        const rows = await srv.sql("SELECT s.ssl, s.version FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) " +
            `WHERE a.datname = current_database() AND a.application_name = 'quired'`);
        const conns = rows.split('\n').filter(Boolean).map((l) => l.split('|'));
        assert.ok(conns.length >= 1, 'quired holds database connections, named "quired"');
        for (const [ssl, version] of conns) {
            assert.equal(ssl, 't', 'SEC-1 quired talks to PostgreSQL over TLS');
            assert.match(version, /^TLSv1\.[23]$/, 'SEC-1 TLS 1.2 or 1.3');
        }
    });

    test('OPS-3 SIGTERM stops quired with exit status 0', async () => {
        // Open a kept-alive connection first, so shutdown has a client to deal with.
        assertStatus(await srv.request('GET', '/healthz'), 200);
        await srv.stop();
    });
});

describe('first start on the embedded defaults', () => {
    /** Starts quired in dir with no configuration but a port; resolves {proc, out()} once /healthz answers. */
    async function start(dir, port) {
        const env = { ...process.env, QUIRE_DATA_DIR: dir, QUIRE_PORT: String(port), QUIRE_LISTEN: '127.0.0.1' };
        for (const k of ['QUIRE_CONFIG', 'QUIRE_DATABASE', 'QUIRE_TEST_CLOCK'])
            delete env[k];
        const proc = spawn(QUIRED, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        proc.stdout.on('data', (d) => { out += d; });
        proc.stderr.on('data', () => {});
        const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
        for (let i = 0; ; i++) {
            const ok = fs.existsSync(path.join(dir, 'tls', 'cert.pem')) &&
                await get(port, fs.readFileSync(path.join(dir, 'tls', 'cert.pem')), '/healthz').then((r) => r.status === 200, () => false);
            if (ok)
                break;
            assert.ok(i < 400, `quired did not come up: ${out}`);
            await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
        }
        return { proc, exited, out: () => out };
    }

    function get(port, ca, p, { method = 'GET', body, token } = {}) {
        return new Promise((resolve, reject) => {
            const req = https.request({ host: '127.0.0.1', port, servername: 'localhost', path: p, method, ca,
                headers: { ...(body ? { 'Content-Type': 'application/json' } : {}),
                    ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (res) => {
                let text = '';
                res.on('data', (d) => { text += d; });
                res.on('end', () => resolve({ status: res.statusCode, text }));
            });
            req.on('error', reject);
            req.end(body ? JSON.stringify(body) : undefined);
        });
    }

    test('quired with no arguments creates its data, the root org and an admin whose password it prints once', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-first-'));
        const port = await freePort();
        try {
            let q = await start(dir, port);
            const m = q.out().match(/organization: (\S+)\n\s+username:\s+(\S+)\n\s+password:\s+(\S+)/);
            assert.ok(m, `the one-time password is printed: ${q.out()}`);
            const [, org, username, password] = m;
            assert.equal(org, 'root');
            assert.equal(fs.statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600, 'master key 0600');
            assert.ok(fs.existsSync(path.join(dir, 'quire.db')), 'SQLite database');
            const ca = fs.readFileSync(path.join(dir, 'tls', 'cert.pem'));
            const login = await get(port, ca, '/api/v1/auth/login', { method: 'POST', body: { org, username, password } });
            assert.equal(login.status, 200, login.text);
            const token = JSON.parse(login.text).access_token;
            assert.ok(token);
            const me = await get(port, ca, '/api/v1/me', { token });
            assert.equal(JSON.parse(me.text).password_change_required, true, 'the printed password is one-time');
            const orgs = await get(port, ca, '/api/v1/orgs', { token });
            assert.equal(orgs.status, 403, 'nothing else until it is replaced');
            assert.equal(JSON.parse(orgs.text).error, 'password_change_required');
            q.proc.kill('SIGTERM');
            assert.deepEqual(await q.exited, { code: 0, signal: null });

            q = await start(dir, port);
            assert.doesNotMatch(q.out(), /password/, 'not printed again on the next start');
            q.proc.kill('SIGTERM');
            assert.deepEqual(await q.exited, { code: 0, signal: null });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe('SEC-1 the database connection', () => {
    /** A stand-in PostgreSQL that offers no TLS: it answers the client's SSLRequest with 'N'
     * (PostgreSQL protocol 3.0, "SSL not supported") and records the code of every first
     * packet it gets (80877103 = SSLRequest, 196608 = a plain-text StartupMessage, which
     * carries the user and database names in the clear). */
    async function plainServer() {
        const codes = [];
        const server = net.createServer((sock) => {
            sock.on('error', () => {});
            sock.once('data', (d) => {
                codes.push(d.length >= 8 ? d.readUInt32BE(4) : -1);
                if (codes.at(-1) !== 80877103)
                    return sock.destroy();
                sock.write('N');
                sock.once('data', (d2) => {
                    codes.push(d2.length >= 8 ? d2.readUInt32BE(4) : -1);
                    sock.destroy();
                });
            });
        });
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
        return { codes, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
    }

    /** Runs quired against database url until it exits (it must: the database is unusable). */
    async function quiredAgainst(url) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-e2e-'));
        const env = { ...process.env, QUIRE_DATA_DIR: dir, QUIRE_PORT: String(await freePort()),
            QUIRE_LISTEN: '127.0.0.1', QUIRE_DATABASE: url };
        for (const k of ['QUIRE_CONFIG', 'QUIRE_TEST_CLOCK', 'PGSSLMODE', 'PGHOST', 'PGHOSTADDR'])
            delete env[k];
        const proc = spawn(QUIRED, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        proc.stdout.on('data', () => {});
        proc.stderr.on('data', (d) => { stderr += d; });
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
        const [code, signal] = await new Promise((resolve) => proc.on('exit', (c, s) => resolve([c, s])));
        clearTimeout(timer);
        fs.rmSync(dir, { recursive: true, force: true });
        return { code, signal, stderr };
    }

    test('SEC-1 quired refuses a PostgreSQL server over TCP that offers no TLS, and sends it nothing in the clear', async () => {
        const pg = await plainServer();
        try {
            const r = await quiredAgainst(`postgresql://quire@127.0.0.1:${pg.port}/quire`);
            assert.equal(r.signal, null, 'quired gives up by itself');
            assert.equal(r.code, 1, `quired exits 1 when it cannot use its database: ${r.stderr}`);
            assert.match(r.stderr, /cannot connect to PostgreSQL: .*SSL was required/s);
            assert.ok(pg.codes.length >= 1, 'quired did try the server');
            assert.ok(pg.codes.every((c) => c === 80877103),
                `only SSLRequest packets, never a plain-text startup: ${JSON.stringify(pg.codes)}`);
        } finally {
            await pg.close();
        }
    });

    test('SEC-1 sslmode=disable in the database URL is the operator\'s explicit choice: quired then starts in the clear', async () => {
        const pg = await plainServer();
        try {
            const r = await quiredAgainst(`postgresql://quire@127.0.0.1:${pg.port}/quire?sslmode=disable`);
            assert.equal(r.code, 1, `the stand-in is no database, so quired still exits: ${r.stderr}`);
            assert.ok(pg.codes.includes(196608), `a plain-text StartupMessage was sent: ${JSON.stringify(pg.codes)}`);
        } finally {
            await pg.close();
        }
    });
});
