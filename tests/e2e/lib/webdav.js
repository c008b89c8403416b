// SPDX-License-Identifier: Apache-2.0
// A real WebDAV server for the tests: a private nginx with its dav module over TLS, started by
// scripts/webdav.sh on a free loopback port, with one Basic-auth user and a self-signed
// certificate. PUTs of a file whose name begins with "x507-" or "x500-" get that status.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'webdav.sh');
const SCRIPT_TIMEOUT_MS = 30000;

function run(args) {
    return new Promise((resolve, reject) => {
        execFile(SCRIPT, args, { timeout: SCRIPT_TIMEOUT_MS }, (err, stdout, stderr) => {
            if (err) {
                reject(new Error(`scripts/webdav.sh ${args[0]} failed: ${stderr || err.message}`));
            } else {
                resolve(stdout);
            }
        });
    });
}

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

/**
 * Starts the server. Returns {url, username, password, caPem, caFile, root, stop()}:
 * url ends with "/dav/"; root is the directory the documents land in (url's path maps to it);
 * caPem is the server's self-signed certificate, for a destination's ca_certificate.
 */
export async function start() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-webdav-'));
    let info;
    try {
        const out = await run(['start', dir, String(await freePort())]);
        info = JSON.parse(out.trim().split('\n').pop());
    } catch (e) {
        await run(['stop', dir]).catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }
    return {
        url: info.url,
        username: info.username,
        password: info.password,
        caFile: info.ca_file,
        caPem: fs.readFileSync(info.ca_file, 'utf8'),
        root: info.root,
        async stop() {
            await run(['stop', dir]);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

export { start as startWebdav };
