// SPDX-License-Identifier: Apache-2.0
// Release latency (PRN-3): from the moment a person's PIN is entered at the "panel" to the
// document being at the printer. quire-device (the reference MFP client) runs once per
// release: device token, PIN login, list, release, streamed download, IPP Print-Job to CUPS'
// ippeveprinter, result, logout. Two figures per release:
//   at printer  spawn of quire-device -> ippeveprinter has the whole document (its -c script
//               wrote the file; seen with fs.watch, no polling by sleep)
//   done        spawn -> quire-device exits (the printer said "completed", result reported)
// BENCH_RELEASES (default 40) releases of a 2-page, BENCH_RELEASE_KB (default 200) KB PDF.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, createOrgTree, tokenOf, BIN_DIR } from '../tests/e2e/lib/server.js';
import { startPrinter } from '../tests/e2e/lib/printer.js';
import { makePdf } from '../tests/e2e/lib/pdf.js';

const N = Number(process.env.BENCH_RELEASES || 40);
const KB = Number(process.env.BENCH_RELEASE_KB || 200);
const PIN = '480213';

function must(r, status, what) {
    if (r.status !== status)
        throw new Error(`${what}: HTTP ${r.status} ${r.text ?? ''}`);
    return r.json;
}

const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const srv = await startServer();
const printer = await startPrinter();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-bench-release-'));
try {
    const tree = await createOrgTree(srv, [['p', { type: 'provider' }], ['c', { parent: 'p', type: 'customer', users: ['customer_user'] }]]);
    must(await srv.request('PATCH', `/api/v1/orgs/${tree.c.org.id}`, { token: tree.p.token, body: { license: { devices: 1 } } }), 200, 'license');
    const device = must(await srv.request('POST', `/api/v1/orgs/${tree.c.org.id}/devices`, { token: tree.c.token, body: { serial: 'BENCH-1' } }), 201, 'device');
    const user = tree.c.users.customer_user;
    must(await srv.request('POST', '/api/v1/me/pin', { token: await tokenOf(srv, user), body: { pin: PIN } }), 200, 'PIN');
    const ca = path.join(work, 'ca.pem');
    fs.writeFileSync(ca, srv.ca);
    const doc = makePdf({ pages: 2, size: KB * 1024 });
    const atPrinter = [];
    const done = [];
    for (let i = 0; i < N; i++) {
        const job = must(await srv.request('POST', '/api/v1/jobs?name=bench.pdf', { token: await tokenOf(srv, user), rawBody: doc, headers: { 'Content-Type': 'application/pdf' } }), 201, 'submit');
        const seen = new Promise((resolve) => {
            const w = fs.watch(printer.outDir, () => {
                if (printer.jobs().length > i) {
                    w.close();
                    resolve(performance.now());
                }
            });
        });
        const t0 = performance.now();
        const proc = spawn(path.join(BIN_DIR, 'quire-device'), ['--server', `https://localhost:${srv.port}`, '--ca-file', ca,
            '--client-id', device.client_id, '--printer', printer.uri, 'release', '--username', user.username, '--pin', PIN, '--job', job.id],
        { env: { ...process.env, QUIRE_DEVICE_SECRET: device.client_secret }, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        proc.stderr.on('data', (c) => { err += c; });
        const code = await new Promise((resolve) => proc.on('exit', resolve));
        const t1 = performance.now();
        if (code !== 0)
            throw new Error(`quire-device exit ${code}: ${err}`);
        atPrinter.push((await seen) - t0);
        done.push(t1 - t0);
    }
    const row = (name, xs) => `${name.padEnd(11)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(7)} ms   max ${Math.max(...xs).toFixed(1).padStart(7)} ms`;
    console.log(`bench release: ${N} releases of a ${doc.length}-byte 2-page PDF, PIN login, quire-device -> quired (TLS, sqlite) -> ippeveprinter`);
    console.log(row('at printer', atPrinter));
    console.log(row('done', done));
} finally {
    await printer.stop();
    fs.rmSync(work, { recursive: true, force: true });
    await srv.stop();
}
