// SPDX-License-Identifier: Apache-2.0
// A real IPP Everywhere printer for the end-to-end tests: CUPS's ippeveprinter on a free
// loopback port, with a private dbus-daemon (it refuses to start without a DNS-SD client;
// DESIGN 5) and a -c command that copies every printed document, with the IPP job
// attributes it was printed with, into a directory the test reads.

import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './server.js';

const READY_TIMEOUT_MS = 20000; // how long the printer may take to listen
const READY_PACE_MS = 20;       // between two connect() tries to its port
const START_ATTEMPTS = 3;       // ippeveprinter is started again if it lost its port
const STOP_GRACE_MS = 5000;  // after SIGTERM, SIGKILL (a fallback, not a timing assumption)

/** The sha256 of a buffer or file, as hex. */
export function sha256(bufOrPath) {
    const b = Buffer.isBuffer(bufOrPath) ? bufOrPath : fs.readFileSync(bufOrPath);
    return crypto.createHash('sha256').update(b).digest('hex');
}

function exitPromise(proc) {
    return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null)
            resolve({ code: proc.exitCode, signal: proc.signalCode });
        proc.on('exit', (code, signal) => resolve({ code, signal }));
        proc.on('error', (e) => resolve({ code: -1, signal: null, error: e }));
    });
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after STOP_GRACE_MS. */
export async function stopProcess(proc, exited) {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null)
        return;
    proc.kill('SIGTERM');
    let timer;
    const grace = new Promise((r) => { timer = setTimeout(() => r(null), STOP_GRACE_MS); });
    const res = await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (res === null) {
        proc.kill('SIGKILL');
        await exited;
    }
}

/** Resolves when a line matching re appears on stream, or rejects when the process exits. */
function waitForLine(stream, re, exited, what) {
    return new Promise((resolve, reject) => {
        let text = '';
        const onData = (c) => {
            text += c.toString();
            const m = re.exec(text);
            if (m) {
                stream.off('data', onData);
                resolve(m);
            }
        };
        stream.on('data', onData);
        exited.then((x) => reject(new Error(`${what} exited before it was ready (${JSON.stringify(x)}): ${text}`)));
    });
}

function tryConnect(port) {
    return new Promise((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port });
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
    });
}

/** Starts a private dbus-daemon and ippeveprinter. Resolves {uri, port, dir, outDir, jobs(),
 * log(), stop()}; jobs() lists what was printed: [{id, file, sha256, size, attrs}] where
 * attrs holds the job's IPP_* variables (IPP_COPIES, IPP_SIDES, ...) and CONTENT_TYPE. */
export async function startPrinter({ name = 'Quire Test Printer', stall = false } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-printer-'));
    fs.chmodSync(dir, 0o700);
    const outDir = path.join(dir, 'out');
    const spool = path.join(dir, 'spool');
    fs.mkdirSync(outDir);
    fs.mkdirSync(spool);
    const script = path.join(dir, 'capture.sh');
    // stall: every job waits in the printer until open() is called on the gate (a FIFO the
    // script reads from), like a printer out of paper.
    const gate = path.join(dir, 'gate');
    if (stall)
        execFileSync('mkfifo', ['-m', '600', gate]);
    // ippeveprinter runs this for each document with the file as $1 and the job attributes
    // in IPP_* variables; the attributes are written first, the document last and renamed
    // into place, so that a reader never sees half a file.
    fs.writeFileSync(script, `#!/bin/sh
set -e
${stall ? `cat "${gate}" > /dev/null
` : ''}out="${outDir}/job-$IPP_JOB_ID"
env | grep -E '^(IPP_|CONTENT_TYPE=)' | sort > "$out.env.tmp"
mv "$out.env.tmp" "$out.env"
cp "$1" "$out.pdf.tmp"
mv "$out.pdf.tmp" "$out.pdf"
`, { mode: 0o700 });

    const p = { dir, outDir, port: await freePort(), dbus: null, proc: null, stderr: '' };
    const sock = path.join(dir, 'dbus.sock');
    p.dbus = spawn('dbus-daemon', ['--session', `--address=unix:path=${sock}`, '--nofork', '--nopidfile', '--print-address=1'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
    p.dbusExited = exitPromise(p.dbus);
    try {
        // dbus-daemon prints its address once it listens.
        await waitForLine(p.dbus.stdout, /unix:path=/, p.dbusExited, 'dbus-daemon');
        // Another process may take the free port before ippeveprinter binds it: then it
        // exits at once, and it is started again on another port.
        for (let attempt = 1; ; attempt++) {
            p.proc = spawn('ippeveprinter', ['-r', 'off', '-n', 'localhost', '-p', String(p.port), '-2', '-s', '10,10',
                '-f', 'application/pdf', '-d', spool, '-c', script, '-v', name],
            { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${sock}` }, stdio: ['ignore', 'ignore', 'pipe'] });
            p.exited = exitPromise(p.proc);
            let gone = null;
            p.exited.then((x) => { gone = x; });
            p.stderr = '';
            p.proc.stderr.on('data', (c) => { p.stderr += c.toString(); });
            // Ready means: it accepts a connection on its port (polled, paced, with a deadline).
            let ready = false;
            const deadline = Date.now() + READY_TIMEOUT_MS;
            while (!gone && !(ready = await tryConnect(p.port)) && Date.now() < deadline)
                await new Promise((r) => setTimeout(r, READY_PACE_MS));
            if (ready && !gone)
                break;
            if (!gone || attempt >= START_ATTEMPTS)
                throw new Error(`ippeveprinter did not listen on ${p.port} (${JSON.stringify(gone)}): ${p.stderr.slice(-2000)}`);
            p.port = await freePort();
        }
    } catch (e) {
        await stopProcess(p.proc, p.exited);
        await stopProcess(p.dbus, p.dbusExited);
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }
    p.uri = `ipp://localhost:${p.port}/ipp/print`;
    p.log = () => p.stderr;
    p.jobs = () => fs.readdirSync(outDir).filter((f) => /^job-\d+\.pdf$/.test(f)).map((f) => {
        const id = Number(/\d+/.exec(f)[0]);
        const file = path.join(outDir, f);
        const attrs = {};
        for (const line of fs.readFileSync(path.join(outDir, `job-${id}.env`), 'utf8').split('\n')) {
            const i = line.indexOf('=');
            if (i > 0)
                attrs[line.slice(0, i)] = line.slice(i + 1);
        }
        return { id, file, size: fs.statSync(file).size, sha256: sha256(file), attrs };
    }).sort((a, b) => a.id - b.id);
    /** Lets stalled jobs go on (opening the FIFO for writing and closing it ends the
     * script's read). */
    p.open = () => {
        if (stall)
            fs.closeSync(fs.openSync(gate, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
    };
    p.stop = async () => {
        p.open();
        await stopProcess(p.proc, p.exited);
        await stopProcess(p.dbus, p.dbusExited);
        // A capture script the printer started outlives it (a stalled job released by
        // open()): end it before the directory it writes into is removed.
        try {
            execFileSync('pkill', ['-KILL', '-f', script], { stdio: 'ignore' });
        } catch { /* none left (pkill exits 1) */ }
        if (process.env.QUIRE_E2E_KEEP)
            return;
        try {
            fs.rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
        } catch (e) {
            // Cleanup of a temporary directory is not what the tests assert.
            console.warn(`printer: could not remove ${dir}: ${e.message}`);
        }
    };
    return p;
}
