// SPDX-License-Identifier: Apache-2.0
// CUPS' ipptool, run against quired's queue: always bounded (-T per request, SIGKILL for the
// run, since ipptool ignores SIGTERM: DESIGN 5), with its own HOME (its trust-on-first-use
// certificate store) and the test files' directory as the working directory.

import { spawn } from 'node:child_process';
import path from 'node:path';

export const CUPS_TESTS = '/usr/share/cups/ipptool';
const IPPTOOL_TIMEOUT_S = 20; // per IPP request (-T)
const IPPTOOL_KILL_MS = 240000; // the whole run

/** The queue's URI with user's credentials (user@org, as ipptool sends them in Basic). */
export function queueUri(srv, user, suffix = '') {
    const cred = `${encodeURIComponent(`${user.username}@${user.slug}`)}:${encodeURIComponent(user.password)}`;
    return `ipps://${cred}@localhost:${srv.port}/ipp/print${suffix}`;
}

/** Runs ipptool in cwd (HOME is cwd/home); resolves {code, signal, out}. */
export function ipptool(cwd, uri, testFiles, extra = []) {
    return new Promise((resolve) => {
        const args = ['-T', String(IPPTOOL_TIMEOUT_S), '-t', '-f', 'doc.pdf', ...extra, uri, ...testFiles];
        const p = spawn('ipptool', args, {
            cwd,
            env: { ...process.env, HOME: path.join(cwd, 'home'), CUPS_ANYROOT: 'yes' },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        const timer = setTimeout(() => p.kill('SIGKILL'), IPPTOOL_KILL_MS);
        p.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, out });
        });
    });
}

/** How many tests of an ipptool -t run passed, failed and were skipped. */
export function counts(out) {
    const n = (w) => (out.match(new RegExp(`\\[${w}\\]`, 'g')) || []).length;
    return { pass: n('PASS'), fail: n('FAIL'), skip: n('SKIP') };
}

/** The failed tests of an ipptool -t run: [{name, lines}] (lines: what ipptool said). */
export function failures(out) {
    const res = [];
    let cur = null;
    for (const line of out.split('\n')) {
        const m = line.match(/^\s{4}(\S.*?)\s+\[(PASS|FAIL|SKIP)\]$/);
        if (m) {
            cur = m[2] === 'FAIL' ? { name: m[1], lines: [] } : null;
            if (cur)
                res.push(cur);
        } else if (cur && line.trim()) {
            cur.lines.push(line.trim());
        }
    }
    return res;
}
