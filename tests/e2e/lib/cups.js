// SPDX-License-Identifier: Apache-2.0
// A private CUPS scheduler for the end-to-end tests: cupsd with its own configuration, spool
// and log directories on a free loopback port, and no administrator authentication (only the
// test talks to it). The CUPS commands (lpadmin, lp, lpstat) reach it through CUPS_SERVER in
// env(). cupsd needs root here (it runs filters and backends as the lp user).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './server.js';

const RUN_KILL_MS = 60000;    // a hard bound on one CUPS command
const READY_TRIES = 100;      // lpstat -r tries while cupsd starts
const READY_PACE_MS = 100;
const STOP_GRACE_MS = 10000;  // after SIGTERM, SIGKILL

/** Why cupsd cannot run here, or null. */
export function cupsdSkipReason() {
    if (!process.getuid || process.getuid() !== 0)
        return 'cupsd needs root here (it drops to the lp user for filters and backends)';
    for (const f of ['/usr/sbin/cupsd', '/usr/sbin/lpadmin', '/usr/bin/lp', '/usr/lib/cups/backend/ipps'])
        if (!fs.existsSync(f))
            return `${f} is not installed (scripts/deps.sh installs it)`;
    return null;
}

/** Runs a command with a hard bound (SIGKILL); resolves {code, out} (stdout and stderr). */
export function runBounded(cmd, args, { env, cwd, ms = RUN_KILL_MS } = {}) {
    return new Promise((resolve) => {
        const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        const timer = setTimeout(() => p.kill('SIGKILL'), ms);
        p.on('error', (e) => { out += String(e); });
        p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, out });
        });
    });
}

/** Starts cupsd in dir/cups (work must be traversable by the lp user). Resolves {port, env(),
 * errorLog(), stop()}; home is the HOME the CUPS commands get. */
export async function startCupsd(work, home) {
    const dir = path.join(work, 'cups');
    for (const d of ['spool', 'tmp', 'state', 'cache', 'log'])
        fs.mkdirSync(path.join(dir, d), { recursive: true });
    const port = await freePort();
    fs.writeFileSync(path.join(dir, 'cups-files.conf'), [
        `ServerRoot ${dir}`, `RequestRoot ${dir}/spool`, `TempDir ${dir}/tmp`, `StateDir ${dir}/state`,
        `CacheDir ${dir}/cache`, `AccessLog ${dir}/log/access_log`, `ErrorLog ${dir}/log/error_log`,
        `PageLog ${dir}/log/page_log`, 'ServerBin /usr/lib/cups', 'DataDir /usr/share/cups',
        'User lp', 'Group lp', 'SystemGroup root', ''].join('\n'));
    fs.writeFileSync(path.join(dir, 'cupsd.conf'), [
        'LogLevel info', `Listen 127.0.0.1:${port}`, 'Browsing No', '<Location />', '  Order allow,deny',
        '  Allow all', '</Location>',
        '<Policy default>', '  <Limit All>', '    Order deny,allow', '  </Limit>', '</Policy>', ''].join('\n'));
    fs.chmodSync(work, 0o755);
    for (const d of ['', 'spool', 'tmp', 'state', 'cache', 'log'])
        fs.chmodSync(path.join(dir, d), 0o777);
    const proc = spawn('cupsd', ['-f', '-c', path.join(dir, 'cupsd.conf'), '-s', path.join(dir, 'cups-files.conf')],
        { stdio: 'ignore' });
    const exited = new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
    const c = {
        port,
        env: () => ({ ...process.env, CUPS_SERVER: `127.0.0.1:${port}`, HOME: home, CUPS_ANYROOT: 'yes' }),
        errorLog: () => {
            try {
                return fs.readFileSync(path.join(dir, 'log/error_log'), 'utf8');
            } catch {
                return '';
            }
        },
        stop: async () => {
            if (proc.exitCode === null && proc.signalCode === null)
                proc.kill('SIGTERM');
            const killer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
            await exited;
            clearTimeout(killer);
        },
    };
    let up = false;
    for (let i = 0; i < READY_TRIES && !up; i++) {
        up = (await runBounded('lpstat', ['-r'], { env: c.env(), ms: 10000 })).out.includes('is running');
        if (!up)
            await new Promise((r) => setTimeout(r, READY_PACE_MS));
    }
    if (!up) {
        await c.stop();
        throw new Error(`the private cupsd did not answer:\n${c.errorLog()}`);
    }
    return c;
}
