// SPDX-License-Identifier: Apache-2.0
// Health endpoint, TLS protocol versions (SEC-1) and clean shutdown (OPS-3).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startServer, assertStatus } from './lib/server.js';

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

    test('OPS-3 SIGTERM stops quired with exit status 0', async () => {
        // Open a kept-alive connection first, so shutdown has a client to deal with.
        assertStatus(await srv.request('GET', '/healthz'), 200);
        await srv.stop();
    });
});
