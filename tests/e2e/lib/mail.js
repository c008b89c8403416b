// SPDX-License-Identifier: Apache-2.0
// A real SMTP server for the tests (npm smtp-server) on loopback, with STARTTLS under a
// certificate made here, collecting every message it receives.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { SMTPServer } from 'smtp-server';

/** Starts the server. Returns {port, caFile, messages, env, waitFor(to), stop()}. */
export async function startMail() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-smtp-'));
    const key = path.join(dir, 'key.pem'), cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const messages = [];
    const server = new SMTPServer({
        key: fs.readFileSync(key), cert: fs.readFileSync(cert), authOptional: true,
        disabledCommands: ['AUTH'], logger: false,
        onData(stream, session, cb) {
            const chunks = [];
            stream.on('data', (c) => chunks.push(c));
            stream.on('end', () => {
                messages.push({ to: session.envelope.rcptTo.map((r) => r.address),
                    from: session.envelope.mailFrom.address, secure: session.secure,
                    raw: Buffer.concat(chunks).toString('utf8') });
                cb();
            });
        },
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = server.server.address().port;
    return {
        port, caFile: cert, messages,
        env: { QUIRE_SMTP_URL: `smtp://localhost:${port}`, QUIRE_SMTP_CA_FILE: cert,
            QUIRE_SMTP_FROM: 'noreply@quire.test' },
        /** The messages sent to an address so far. */
        to(address) {
            return messages.filter((m) => m.to.includes(address));
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
