// SPDX-License-Identifier: Apache-2.0
// The load client of bench/ipp.sh: IPP Print-Job requests at a fixed concurrency, over
// keep-alive HTTP or HTTPS connections, for a fixed time after a warm-up. The request (IPP/2.0
// Print-Job, operation attributes and the PDF) is encoded once, here, and sent as it is on every
// request with Content-Type application/ipp and a Content-Length (no chunking). Each answer
// must be HTTP 200 with an IPP status successful-ok (0x0000..0x00ff) and the request's id; any
// other answer, a socket error or a timeout is an error. server-error-busy (0x0507) is counted
// apart: with --retry-busy (ippeveprinter, which accepts one job at a time by design) the job
// is sent again on the same connection after --busy-wait ms and its latency runs from its
// first attempt; without it, busy is an error like any other.
//
// Usage: node ippload.mjs --url URL --printer-uri URI --doc FILE --conns N --duration S
//        --warmup S [--auth 'Basic ...'|'Bearer ...'] [--ca PEM] [--servername NAME]
//        [--insecure] [--retry-busy] [--busy-wait MS] [--pids PID,PID] [--name NAME]
// (--insecure: accept any certificate, for the peers' self-signed ones.)
// Prints one line: IPPSTAT name=... ok=... rps=... p50_ms=... p99_ms=... errors=... busy=...
// connects=... client_cores=... server_cores=... other=... total=... bytes=... tls=...
// (ok, rps, latencies, busy: the measured window; server_cores: CPU time of --pids, their
// reaped children included, over the window / its length; other: the share of all CPU time
// taken by every other process; total: accepted jobs in every phase, which the server must
// account for; bytes: the request's size; tls: protocol,cipher). The first error is
// described on stderr. Exit status 0 when there was no error, 1 otherwise, 2 on bad usage.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const args = { conns: 4, duration: 10, warmup: 2, 'busy-wait': 1, name: 'ipp' };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    if (!a.startsWith('--')) {
        console.error(`ippload: unexpected argument ${a}`);
        process.exit(2);
    }
    const k = a.slice(2);
    if (k === 'retry-busy' || k === 'insecure')
        args[k] = true;
    else
        args[k] = process.argv[++i];
}
for (const k of ['url', 'printer-uri', 'doc']) {
    if (!args[k]) {
        console.error(`ippload: --${k} is required`);
        process.exit(2);
    }
}
const CONNS = Number(args.conns);
const DURATION_MS = Number(args.duration) * 1000;
const WARMUP_MS = Number(args.warmup) * 1000;
const BUSY_WAIT_MS = Number(args['busy-wait']);
const TIMEOUT_MS = 30000; // per request: longer is an error
const PIDS = args.pids ? String(args.pids).split(',').filter(Boolean).map(Number) : [];
if (![CONNS, DURATION_MS, WARMUP_MS, BUSY_WAIT_MS].every((n) => Number.isFinite(n) && n >= 0) || CONNS < 1 ||
    PIDS.some((n) => !Number.isInteger(n))) {
    console.error('ippload: --conns, --duration, --warmup, --busy-wait and --pids take numbers');
    process.exit(2);
}

// ---- the request, encoded once ----
const TAG = { op: 0x01, end: 0x03, name: 0x42, uri: 0x45, charset: 0x47, language: 0x48, mime: 0x49 };
function attr(tag, name, value) {
    const n = Buffer.from(name);
    const v = Buffer.from(value);
    const b = Buffer.alloc(1 + 2 + n.length + 2 + v.length);
    b[0] = tag;
    b.writeUInt16BE(n.length, 1);
    n.copy(b, 3);
    b.writeUInt16BE(v.length, 3 + n.length);
    v.copy(b, 5 + n.length);
    return b;
}
const REQUEST_ID = 1;
const head = Buffer.alloc(8);
head.writeUInt16BE(0x0200, 0); // IPP/2.0
head.writeUInt16BE(0x0002, 2); // Print-Job
head.writeUInt32BE(REQUEST_ID, 4);
const doc = fs.readFileSync(args.doc);
const body = Buffer.concat([
    head,
    Buffer.from([TAG.op]),
    attr(TAG.charset, 'attributes-charset', 'utf-8'),
    attr(TAG.language, 'attributes-natural-language', 'en'),
    attr(TAG.uri, 'printer-uri', args['printer-uri']),
    attr(TAG.name, 'requesting-user-name', 'bench'),
    attr(TAG.name, 'job-name', 'bench.pdf'),
    attr(TAG.mime, 'document-format', 'application/pdf'),
    Buffer.from([TAG.end]),
    doc,
]);

const url = new URL(args.url);
const tls = url.protocol === 'https:';
const mod = tls ? https : http;
const agent = new mod.Agent({ keepAlive: true, maxSockets: CONNS, maxFreeSockets: CONNS, scheduling: 'fifo' });
const headers = { 'Content-Type': 'application/ipp', 'Content-Length': String(body.length) };
if (args.auth)
    headers.Authorization = args.auth;
const reqOpts = {
    agent, method: 'POST', host: url.hostname, port: url.port, path: url.pathname, headers,
    ...(tls ? {
        ca: args.ca ? fs.readFileSync(args.ca) : undefined,
        servername: args.servername || url.hostname,
        rejectUnauthorized: !args.insecure, // --insecure: a peer's self-signed certificate
    } : {}),
};

// ---- counters ----
let phase = 'warmup'; // warmup -> measure -> drain
let tStart = 0;
let tEnd = 0;
const lat = []; // ms, accepted jobs completed in the measured window
let ok = 0;
let total_ok = 0; // accepted jobs in every phase: what the server must have stored
let errors = 0;
let busy = 0;
let firstError = null;
let connects = 0;
let tlsInfo = tls ? '?' : 'none';
const seen = new WeakSet();

function fail(what) {
    errors++; // in every phase: warm-up and drain too
    if (!firstError)
        firstError = what;
}

/** One POST; resolves {ipp} (IPP status) or {error}. */
function send() {
    return new Promise((resolve) => {
        let done = false;
        const finish = (r) => {
            if (!done) {
                done = true;
                resolve(r);
            }
        };
        const req = mod.request(reqOpts, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
                const b = Buffer.concat(chunks);
                if (res.statusCode !== 200)
                    finish({ error: `HTTP ${res.statusCode} ${b.toString('latin1').slice(0, 200)}` });
                else if (b.length < 8 || b.readUInt32BE(4) !== REQUEST_ID)
                    finish({ error: `not an IPP answer to this request (${b.length} bytes)` });
                else
                    finish({ ipp: b.readUInt16BE(2) });
            });
            res.on('error', (e) => finish({ error: `response: ${e.message}` }));
        });
        req.on('socket', (s) => {
            if (!seen.has(s)) {
                seen.add(s);
                connects++;
                if (tls)
                    s.once('secureConnect', () => { tlsInfo = `${s.getProtocol()},${s.getCipher().name}`; });
            }
        });
        req.setTimeout(TIMEOUT_MS, () => {
            req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`));
        });
        req.on('error', (e) => finish({ error: `request: ${e.message}` }));
        req.end(body);
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function worker() {
    while (phase !== 'drain') {
        const t0 = performance.now();
        let r;
        for (;;) {
            r = await send();
            if (r.ipp !== 0x0507 || !args['retry-busy'])
                break;
            if (phase === 'measure')
                busy++;
            if (phase === 'drain')
                return; // stopped: this job was never accepted, and is not sent again
            await sleep(BUSY_WAIT_MS);
        }
        const t1 = performance.now();
        // Counted: accepted jobs whose answer came within the measured window.
        const counted = tStart > 0 && t1 >= tStart && (phase === 'measure' || t1 <= tEnd);
        if (r.error) {
            fail(r.error);
            await sleep(10); // a refused connection must not spin
        } else if (r.ipp > 0x00ff) {
            fail(`IPP status 0x${r.ipp.toString(16).padStart(4, '0')}`);
        } else {
            total_ok++;
            if (counted) {
                ok++;
                lat.push(t1 - t0);
            }
        }
    }
}

// ---- CPU accounting (/proc, in clock ticks of 100 Hz on Linux; client in microseconds) ----
const HZ = 100;
function procTicks() {
    let s = 0;
    for (const pid of PIDS) {
        try {
            const f = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
            const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
            // fields 14-17 (utime stime cutime cstime) are x[11..14]
            s += Number(x[11]) + Number(x[12]) + Number(x[13]) + Number(x[14]);
        } catch {
            // a server that died is noticed by its caller
        }
    }
    return s;
}
function cpuTicks() {
    const l = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [u, n, s, idle, iow, irq, sirq, steal] = l;
    return { busy: u + n + s + irq + sirq + steal, total: u + n + s + idle + iow + irq + sirq + steal };
}

const workers = [];
for (let i = 0; i < CONNS; i++)
    workers.push(worker());
await sleep(WARMUP_MS);
const c0 = cpuTicks();
const p0 = procTicks();
const u0 = process.cpuUsage();
tStart = performance.now();
phase = 'measure';
await sleep(DURATION_MS);
tEnd = performance.now();
phase = 'drain';
const u1 = process.cpuUsage(u0);
const p1 = procTicks();
const c1 = cpuTicks();
await Promise.all(workers);
agent.destroy();

const secs = (tEnd - tStart) / 1000;
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)] : 0);
const clientTicks = ((u1.user + u1.system) / 1e6) * HZ;
const serverTicks = p1 - p0;
const total = c1.total - c0.total;
const other = Math.max(0, c1.busy - c0.busy - serverTicks - clientTicks);
console.log(`IPPSTAT name=${args.name} ok=${ok} rps=${(ok / secs).toFixed(1)} p50_ms=${pct(50).toFixed(2)}` +
    ` p99_ms=${pct(99).toFixed(2)} errors=${errors} busy=${busy} connects=${connects}` +
    ` client_cores=${(clientTicks / HZ / secs).toFixed(2)} server_cores=${(serverTicks / HZ / secs).toFixed(2)}` +
    ` other=${total > 0 ? Math.round((100 * other) / total) : 0} total=${total_ok} bytes=${body.length} tls=${tlsInfo}`);
if (firstError)
    console.error(`ippload ${args.name}: ${errors} errors; the first: ${firstError}`);
process.exit(errors ? 1 : 0);
