// SPDX-License-Identifier: Apache-2.0
// OPS-4, SEC-1: quire renews its own self-signed certificate before it expires, and serves a
// certificate an operator put in place (a certbot renewal) without a restart; a broken one
// is refused and the old one stays in use. Time is the test clock.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { execFileSync, spawnSync } from 'node:child_process';
import { startServer, assertStatus, QUIRED } from './lib/server.js';

/** The certificate the server presents to a new connection (not verified here). */
function served(port) {
    return new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
            const c = s.getPeerCertificate();
            s.end();
            resolve(c);
        });
        s.on('error', reject);
    });
}

const fingerprint = (pem) => new crypto.X509Certificate(pem).fingerprint256;

/** Points the harness at a new trust anchor (a new self-signed certificate). */
function trust(srv, pem) {
    srv.ca = pem;
    if (srv.agent)
        srv.agent.destroy();
    srv.agent = new https.Agent({ keepAlive: true, maxFreeSockets: 16, ca: pem });
}

async function metric(srv, name) {
    const r = await srv.request('GET', '/metrics');
    assertStatus(r, 200);
    const line = r.text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line.split(' ')[1]);
}

describe('OPS-4 quire\'s own certificate', () => {
    let srv;
    before(async () => {
        srv = await startServer();
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    test('OPS-4 the self-signed certificate is renewed 30 days before it expires and served at once', async () => {
        const certPath = path.join(srv.dataDir, 'tls', 'cert.pem');
        const first = fs.readFileSync(certPath);
        assert.equal((await served(srv.port)).fingerprint256, fingerprint(first));
        const notAfter = Date.parse(new crypto.X509Certificate(first).validTo) / 1000;
        assert.equal(await metric(srv, 'quire_tls_certificate_expiry_timestamp_seconds'), notAfter);

        // 40 days before expiry: nothing to do yet.
        const now = await srv.clockNow();
        await srv.advanceClock(Math.floor(notAfter - now) - 40 * 86400);
        assert.ok(fs.readFileSync(certPath).equals(first), 'not renewed 40 days ahead');
        // 29 days before: renewed, and new connections get the new one.
        await srv.advanceClock(11 * 86400);
        const second = fs.readFileSync(certPath);
        assert.ok(!second.equals(first), 'renewed 29 days ahead');
        const got = await served(srv.port);
        assert.equal(got.fingerprint256, fingerprint(second), 'served without a restart');
        assert.equal(got.subject.CN, 'localhost');
        trust(srv, second);
        assertStatus(await srv.request('GET', '/healthz'), 200, 'verifies against the new certificate');
        assert.equal(fs.statSync(path.join(srv.dataDir, 'tls', 'key.pem')).mode & 0o777, 0o600, 'the new key is 0600');
        assert.match(srv.logTail(), /"tls_renewed"/);
    });
    test('the listener shares its port with its own reloads only: a second quired on it is refused', async () => {
        const r = spawnSync(QUIRED, [], { env: srv.env, encoding: 'utf8', timeout: 30000 });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1 port ${srv.port}: it is in use`));
        assertStatus(await srv.request('GET', '/healthz'), 200);
    });
});

describe('OPS-4 an operator\'s certificate', () => {
    let srv;
    let dir;
    before(async () => {
        srv = await startServer();
        dir = fs.mkdtempSync(path.join(srv.dataDir, 'operator-'));
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    /** A certificate for localhost valid for days, as an operator's CA or certbot would issue. */
    function issue(days) {
        const key = path.join(dir, `key-${days}.pem`), cert = path.join(dir, `cert-${days}.pem`);
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-subj', '/O=Operator Inc/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
            '-days', String(days), '-keyout', key, '-out', cert], { stdio: 'ignore' });
        return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
    }

    test('OPS-4 a replaced certificate is served without a restart, warned about near its expiry, never renewed by quire', async () => {
        const certPath = path.join(srv.dataDir, 'tls', 'cert.pem'), keyPath = path.join(srv.dataDir, 'tls', 'key.pem');
        const op = issue(10);
        fs.writeFileSync(keyPath, op.key, { mode: 0o600 });
        fs.writeFileSync(certPath, op.cert);
        await srv.advanceClock(0); // the upkeep runs
        assert.equal((await served(srv.port)).fingerprint256, fingerprint(op.cert), 'the new certificate is served');
        trust(srv, op.cert);
        assertStatus(await srv.request('GET', '/healthz'), 200);
        assert.ok(fs.readFileSync(certPath).equals(op.cert), 'an operator\'s certificate is left alone');
        assert.match(srv.logTail(), /"tls_expiring".*expires in (9|10) days/, 'warned: 10 days left');
    });

    test('SEC-1 a broken certificate is refused: the one in use stays, the failure is logged', async () => {
        const certPath = path.join(srv.dataDir, 'tls', 'cert.pem'), keyPath = path.join(srv.dataDir, 'tls', 'key.pem');
        const before = (await served(srv.port)).fingerprint256;
        const other = issue(30);
        fs.writeFileSync(certPath, other.cert); // the key does not match it
        await srv.advanceClock(0);
        assert.equal((await served(srv.port)).fingerprint256, before, 'still the old certificate');
        assertStatus(await srv.request('GET', '/healthz'), 200);
        assert.match(srv.logTail(), /"tls_reload_failed"/);
        fs.writeFileSync(keyPath, other.key, { mode: 0o600 });
        await srv.advanceClock(0);
        assert.equal((await served(srv.port)).fingerprint256, fingerprint(other.cert), 'once the pair matches, it is served');
    });
});
