// SPDX-License-Identifier: Apache-2.0
// A real SMTP server for the tests (npm smtp-server) on loopback, with STARTTLS under a
// certificate made here, collecting every message it receives.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { SMTPServer } from 'smtp-server';

const WAIT_MS = 15000;

/**
 * Starts the server. Options: implicit (TLS from the first byte, for smtps://), auth
 * ({user, pass}: the server then requires SMTP AUTH with them). Returns {port, caFile,
 * messages, env, to(address), waitFor(address, count), stop()}.
 */
export async function startMail({ implicit = false, auth = null } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-smtp-'));
    const key = path.join(dir, 'key.pem'), cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const messages = [];
    const arrived = new EventEmitter();
    const server = new SMTPServer({
        key: fs.readFileSync(key), cert: fs.readFileSync(cert), secure: implicit, logger: false,
        ...(auth ? {
            authMethods: ['PLAIN', 'LOGIN'],
            onAuth(a, session, cb) {
                if (a.username === auth.user && a.password === auth.pass)
                    cb(null, { user: a.username });
                else
                    cb(new Error('Invalid username or password'));
            },
        } : { authOptional: true, disabledCommands: ['AUTH'] }),
        onData(stream, session, cb) {
            const chunks = [];
            stream.on('data', (c) => chunks.push(c));
            stream.on('end', () => {
                messages.push({ to: session.envelope.rcptTo.map((r) => r.address),
                    from: session.envelope.mailFrom.address, secure: session.secure,
                    user: session.user || null, raw: Buffer.concat(chunks).toString('utf8') });
                cb();
                arrived.emit('message');
            });
        },
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = server.server.address().port;
    return {
        port, caFile: cert, messages,
        env: { QUIRE_SMTP_URL: `${implicit ? 'smtps' : 'smtp'}://localhost:${port}`,
            QUIRE_SMTP_CA_FILE: cert, QUIRE_SMTP_FROM: 'noreply@quire.test',
            ...(auth ? { QUIRE_SMTP_USER: auth.user, QUIRE_SMTP_PASSWORD: auth.pass } : {}) },
        /** The messages sent to an address so far. */
        to(address) {
            return messages.filter((m) => m.to.includes(address));
        },
        /** Resolves with the messages to address once there are at least count of them. */
        waitFor(address, count = 1) {
            const have = () => messages.filter((m) => m.to.includes(address));
            return new Promise((resolve, reject) => {
                const check = () => {
                    if (have().length >= count) {
                        arrived.off('message', check);
                        clearTimeout(timer);
                        resolve(have());
                    }
                };
                const timer = setTimeout(() => {
                    arrived.off('message', check);
                    reject(new Error(`no mail ${count} to ${address} within ${WAIT_MS} ms`));
                }, WAIT_MS);
                arrived.on('message', check);
                check();
            });
        },
        async stop() {
            await new Promise((resolve) => server.close(resolve));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** The first link to path (/reset or /activate) in a message, as a URL. */
export function linkIn(message, linkPath) {
    const m = message.raw.match(new RegExp(`https://localhost:\\d+${linkPath}\\?token=[A-Za-z0-9_-]+`));
    return m ? new URL(m[0]) : null;
}
