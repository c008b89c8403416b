// SPDX-License-Identifier: Apache-2.0
// PRN-1, issue 15: discovery of the IPP queue. On premises, quired advertises it through Avahi
// when `dnssd` is on: a private avahi-daemon (on a private dbus, on the loopback interface
// only) and CUPS' ippfind find `_ipps._tcp` with the `_print` and `_universal` subtypes and
// TXT keys that say what the queue's Get-Printer-Attributes says (read independently with
// ipptool). With no Avahi, quired logs one line and serves. For the cloud, `quire dnssd
// records ORG` prints the zone file fragment an operator publishes; it is parsed here and
// checked record by record. The private avahi-daemon needs root (it refuses to run as anyone
// else); without root the Avahi tests are skipped and say why.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, createOrg, run, uniq, QUIRE } from './lib/server.js';
import { stopProcess } from './lib/printer.js';

const IPPTOOL_TIMEOUT_S = 20;
const IPPFIND_WAIT_S = 5;          // how long ippfind browses (-T)
const RUN_KILL_MS = 60000;         // a hard bound on each child run here
const READY_TIMEOUT_MS = 20000;    // avahi-daemon and quired's advertisement
const READY_PACE_MS = 50;

/** Why the Avahi tests cannot run here, or null when they can. */
function avahiSkipReason() {
    if (!process.getuid || process.getuid() !== 0)
        return 'avahi-daemon runs only as root (it refuses any other user); run the e2e suite as root';
    for (const f of ['/usr/sbin/avahi-daemon', '/usr/bin/dbus-daemon', '/usr/bin/ippfind', '/usr/bin/ipptool'])
        if (!fs.existsSync(f))
            return `${f} is not installed (scripts/deps.sh installs it)`;
    try {
        const pid = Number(fs.readFileSync('/run/avahi-daemon/pid', 'utf8'));
        if (pid > 0) {
            process.kill(pid, 0);
            return `an avahi-daemon already runs (pid ${pid}); a second one refuses to start`;
        }
    } catch { /* no pid file, or its process is gone: ours may start */ }
    return null;
}

/** Runs a command with a hard bound (SIGKILL); resolves {code, out, err}. */
function runBounded(cmd, args, env, ms = RUN_KILL_MS) {
    return new Promise((resolve) => {
        const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { err += d; });
        const timer = setTimeout(() => p.kill('SIGKILL'), ms);
        p.on('error', (e) => { err += String(e); });
        p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, out, err });
        });
    });
}

function exitPromise(proc) {
    return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null)
            resolve();
        proc.on('exit', () => resolve());
    });
}

/** Polls cond() (paced, with a deadline); resolves its last value. */
async function waitFor(cond, ms = READY_TIMEOUT_MS) {
    const deadline = Date.now() + ms;
    let v;
    while (!(v = await cond()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, READY_PACE_MS));
    return v;
}

/** A private dbus-daemon: the "system bus" that quired, avahi-daemon and ippfind share
 * through DBUS_SYSTEM_BUS_ADDRESS. startAvahi() then starts avahi-daemon on it, publishing on
 * the loopback interface only. */
async function startBus(dir) {
    const sock = path.join(dir, 'bus');
    const a = { bus: `unix:path=${sock}`, log: '', proc: null, exited: null };
    a.dbus = spawn('dbus-daemon', ['--session', `--address=${a.bus}`, '--nofork', '--nopidfile', '--print-address=1'],
        { stdio: ['ignore', 'pipe', 'ignore'] });
    a.dbusExited = exitPromise(a.dbus);
    a.stop = async () => {
        if (a.proc)
            await stopProcess(a.proc, a.exited);
        await stopProcess(a.dbus, a.dbusExited);
    };
    if (!await waitFor(async () => fs.existsSync(sock))) {
        await a.stop();
        throw new Error('the private dbus-daemon did not start');
    }
    a.stopAvahi = async () => {
        await stopProcess(a.proc, a.exited);
        a.proc = null;
        a.log = '';
    };
    a.startAvahi = async () => {
        const conf = path.join(dir, 'avahi-daemon.conf');
        fs.writeFileSync(conf, `[server]
host-name=quire-e2e-${uniq(6)}
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
[rlimits]
`);
        a.proc = spawn('avahi-daemon', ['-f', conf, '--no-drop-root', '--no-chroot', '--no-rlimits'],
            { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: a.bus }, stdio: ['ignore', 'pipe', 'pipe'] });
        a.exited = exitPromise(a.proc);
        a.proc.stdout.on('data', (d) => { a.log += d; });
        a.proc.stderr.on('data', (d) => { a.log += d; });
        if (!await waitFor(async () => /Server startup complete/.test(a.log) || a.proc.exitCode !== null) ||
            a.proc.exitCode !== null)
            throw new Error(`the private avahi-daemon did not start:\n${a.log}`);
    };
    return a;
}

/** The printer attributes as ipptool shows them: {name: value text}. */
async function printerAttributes(srv, home) {
    const r = await runBounded('ipptool', ['-T', String(IPPTOOL_TIMEOUT_S), '-tv', `ipps://localhost:${srv.port}/ipp/print`,
        '/usr/share/cups/ipptool/get-printer-attributes.test'], { ...process.env, HOME: home, CUPS_ANYROOT: 'yes' });
    assert.equal(r.code, 0, `ipptool get-printer-attributes:\n${r.out}${r.err}`);
    const attrs = {};
    for (const line of r.out.split('\n')) {
        const m = /^\s+([a-z0-9-]+) \([^)]*\) = (.*)$/.exec(line);
        if (m)
            attrs[m[1]] = m[2];
    }
    assert.ok(attrs['document-format-supported'], `ipptool shows the attributes:\n${r.out.slice(0, 2000)}`);
    return attrs;
}

/** The TXT keys (lower case) and values the printer attributes call for, worked out here. */
function expectedTxt(attrs) {
    const list = (name) => (attrs[name] || '').split(',').filter(Boolean);
    const want = {
        rp: 'ipp/print',
        ty: attrs['printer-make-and-model'],
        adminurl: attrs['printer-more-info'],
        note: attrs['printer-location'],
        pdl: list('document-format-supported').filter((f) => f !== 'application/octet-stream').join(','),
        color: attrs['color-supported'] === 'true' ? 'T' : 'F',
        duplex: list('sides-supported').some((s) => s.startsWith('two-sided')) ? 'T' : 'F',
        tls: '1.2',
        air: list('uri-authentication-supported').includes('basic') ? 'username,password' : 'none',
        uuid: attrs['printer-uuid'].replace(/^urn:uuid:/, ''),
        kind: 'document',
        txtvers: '1',
    };
    if (attrs['urf-supported'])
        want.urf = attrs['urf-supported'];
    return want;
}

/** Unescapes a zone file token (RFC 1035 5.1: \X and \DDD). */
function unescapeZone(s) {
    return s.replace(/\\(\d{3}|.)/g, (_, e) => (e.length === 3 ? String.fromCharCode(Number(e)) : e));
}

/** Parses the zone fragment: [{name, type, data: [tokens]}], comments and blank lines left out. */
function parseZone(text) {
    const records = [];
    for (const line of text.split('\n')) {
        if (!line.trim() || line.startsWith(';'))
            continue;
        const tokens = [];
        const re = /"((?:\\.|[^"\\])*)"|((?:\\.|[^\s"\\])+)/g;
        let m;
        while ((m = re.exec(line)))
            tokens.push(m[1] !== undefined ? { quoted: unescapeZone(m[1]) } : m[2]);
        const [name, cls, type, ...data] = tokens;
        assert.equal(cls, 'IN', `class of: ${line}`);
        records.push({ name, type, data });
    }
    return records;
}

describe('DNS-SD: the queue discovered', () => {
    let work;
    before(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-dnssd-'));
        fs.mkdirSync(path.join(work, 'home'));
    });
    after(() => {
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
    });

    const skip = avahiSkipReason();
    test('PRN-1 with dnssd on, ippfind finds _ipps._tcp (_print, _universal) with the TXT keys the printer attributes call for',
        { skip: skip || false }, async () => {
            const avahi = await startBus(work);
            const name = `quire e2e ${uniq(4)}`;
            let srv;
            try {
                // quired starts before the Avahi daemon: it says so once and advertises the
                // queue when the daemon comes.
                srv = await startServer({ env: { QUIRE_DNSSD: 'on', QUIRE_DNSSD_NAME: name, DBUS_SYSTEM_BUS_ADDRESS: avahi.bus } });
                assert.ok(await waitFor(async () => srv.logTail(200).includes('"dnssd_waiting"')),
                    `quired says it waits for Avahi:\n${srv.logTail()}`);
                await avahi.startAvahi();
                assert.ok(await waitFor(async () => srv.logTail(200).includes('"dnssd_advertised"')),
                    `quired says the queue is advertised:\n${srv.logTail()}\n${avahi.log}`);
                const want = expectedTxt(await printerAttributes(srv, path.join(work, 'home')));
                const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: avahi.bus };
                for (const type of ['_ipps._tcp,_print', '_ipps._tcp,_universal']) {
                    // -x env: ippfind runs env for each service found, with the TXT keys as
                    // IPPFIND_TXT_<KEY> variables.
                    const r = await runBounded('ippfind', ['-T', String(IPPFIND_WAIT_S), type, '--name', `^${name}$`,
                        '-x', 'env', ';'], env);
                    assert.equal(r.code, 0, `ippfind ${type} finds the queue: ${r.out}${r.err}\n${avahi.log}`);
                    const vars = {};
                    for (const line of r.out.split('\n')) {
                        const m = /^IPPFIND_([A-Z_]+)=(.*)$/.exec(line);
                        if (m)
                            vars[m[1]] = m[2];
                    }
                    assert.equal(vars.SERVICE_NAME, name, type);
                    assert.equal(vars.SERVICE_PORT, String(srv.port), `${type}: the SRV port is quired's`);
                    assert.equal(vars.SERVICE_SCHEME, 'ipps', type);
                    assert.match(vars.SERVICE_URI, new RegExp(`^ipps://[^/]+:${srv.port}/ipp/print$`), type);
                    for (const [k, v] of Object.entries(want))
                        assert.equal(vars[`TXT_${k.toUpperCase()}`], v, `${type}: TXT ${k}`);
                    assert.equal(vars.TXT_URF !== undefined, want.urf !== undefined, 'URF only with urf-supported');
                }
                // The daemon restarts: quired advertises the queue again.
                const count = () => srv.logTail(400).split('"dnssd_advertised"').length - 1;
                await avahi.stopAvahi();
                await avahi.startAvahi();
                assert.ok(await waitFor(async () => count() === 2), `advertised again:\n${srv.logTail()}`);
                const again = await runBounded('ippfind', ['-T', String(IPPFIND_WAIT_S), '_ipps._tcp,_universal', '--name', `^${name}$`], env);
                assert.equal(again.code, 0, `found after Avahi restarted: ${again.out}${again.err}`);
                // quired withdraws the advertisement when it stops (a browser may see the
                // cached record until Avahi's goodbye has expired it, about a second).
                await srv.stop();
                srv = null;
                const gone = await waitFor(async () =>
                    (await runBounded('ippfind', ['-T', '1', '_ipps._tcp', '--name', `^${name}$`], env)).code !== 0);
                assert.ok(gone, 'not found once quired has stopped');
            } finally {
                if (srv)
                    await srv.stop();
                await avahi.stop();
            }
        });

    test('PRN-1 with dnssd on and no Avahi, quired logs one line and serves', async () => {
        const srv = await startServer({ env: { QUIRE_DNSSD: 'on', DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${path.join(work, 'no-bus')}` } });
        try {
            const lines = await waitFor(async () => srv.logTail(200).split('\n').filter((l) => l.includes('"dnssd_')));
            assert.equal(lines.length, 1, `one dnssd line: ${lines.join('\n')}`);
            assert.match(lines[0], /not advertised/);
            const h = await srv.request('GET', '/health');
            assert.ok(h.status < 500, 'quired goes on serving');
            await printerAttributes(srv, path.join(work, 'home'));
        } finally {
            await srv.stop();
        }
    });

    test('PRN-1 dnssd is off by default: no advertising, no line about it', async () => {
        const srv = await startServer();
        try {
            await printerAttributes(srv, path.join(work, 'home'));
            assert.ok(!srv.logTail(200).includes('"dnssd_'), srv.logTail());
        } finally {
            await srv.stop();
        }
    });
});

describe('DNS-SD: quire dnssd records and mobileconfig (the cloud)', () => {
    let srv;
    let org;
    let work;
    const host = 'print.example.test';
    const publicPort = 8631;
    before(async () => {
        srv = await startServer();
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-dnssd-'));
        fs.mkdirSync(path.join(work, 'home'));
        const token = await srv.rootToken();
        const slug = `cust-${uniq()}`;
        org = await createOrg(srv, token, { parentId: srv.root.orgId, type: 'provider', slug, name: 'Acme "North"; Print. Ltd', admin: false });
        org.slug = slug;
    });
    after(async () => {
        if (srv)
            await srv.stop();
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
    });
    const cliEnv = () => ({ ...srv.env, QUIRE_PUBLIC_URL: `https://${host}:${publicPort}/` });

    test('PRN-1 the zone fragment: browse PTRs, service and subtype PTRs, SRV at public_url, TXT keys', async () => {
        const r = await run(QUIRE, ['dnssd', 'records', org.slug], cliEnv());
        assert.equal(r.code, 0, r.stderr);
        const recs = parseZone(r.stdout);
        const instance = `${org.org.name} Secure Print`;
        const inst = `${instance}._ipps._tcp`;
        // Names are compared unescaped: the zone file escapes the instance's spaces, dots, quotes.
        const byName = (n, t) => recs.filter((x) => unescapeZone(x.name) === n && x.type === t);
        for (const b of ['b._dns-sd._udp', 'lb._dns-sd._udp'])
            assert.deepEqual(byName(b, 'PTR').map((x) => x.data[0]), ['@'], `${b} PTR @ (the zone itself)`);
        for (const p of ['_ipps._tcp', '_print._sub._ipps._tcp', '_universal._sub._ipps._tcp']) {
            const ptr = byName(p, 'PTR');
            assert.equal(ptr.length, 1, p);
            assert.equal(unescapeZone(ptr[0].data[0]), inst, `${p} points at the instance`);
            // An instance label with a dot or space stays one label: they are escaped.
            assert.ok(!/[^\\][ .]"North/.test(ptr[0].data[0]), ptr[0].data[0]);
        }
        const srv0 = byName(inst, 'SRV');
        assert.equal(srv0.length, 1, 'one SRV');
        assert.deepEqual(srv0[0].data, ['0', '0', String(publicPort), `${host}.`], 'SRV at public_url\'s host and port');
        const txt = byName(inst, 'TXT');
        assert.equal(txt.length, 1, 'one TXT');
        const keys = {};
        for (const s of txt[0].data) {
            assert.ok(s.quoted !== undefined, 'TXT strings are quoted');
            assert.ok(Buffer.byteLength(s.quoted) <= 255, 'a TXT string is at most 255 bytes');
            const i = s.quoted.indexOf('=');
            keys[s.quoted.slice(0, i).toLowerCase()] = s.quoted.slice(i + 1);
        }
        // The same keys as the queue's attributes call for; the CLI reads them with its own
        // public_url, so printer-more-info is that URL's page on releasing a job.
        const attrs = await printerAttributes(srv, path.join(work, 'home'));
        const want = expectedTxt({ ...attrs, 'printer-more-info': `https://${host}:${publicPort}/help/print` });
        for (const [k, v] of Object.entries(want))
            assert.equal(keys[k], v, `TXT ${k}`);
        for (const k of ['rp', 'ty', 'adminurl', 'pdl', 'color', 'duplex', 'tls', 'air', 'uuid', 'kind', 'note'])
            assert.ok(k in keys, `TXT has ${k}`);

        // --domain: absolute names under the customer's domain.
        const d = await run(QUIRE, ['dnssd', 'records', org.slug, '--domain', 'corp.example.com', '--name', 'Print'], cliEnv());
        assert.equal(d.code, 0, d.stderr);
        const abs = parseZone(d.stdout);
        assert.ok(abs.every((x) => x.name.endsWith('.corp.example.com.')), d.stdout);
        assert.deepEqual(abs.find((x) => x.name === 'b._dns-sd._udp.corp.example.com.').data, ['corp.example.com.']);
        assert.equal(abs.find((x) => x.name === '_ipps._tcp.corp.example.com.').data[0], 'Print._ipps._tcp.corp.example.com.');
    });

    test('PRN-1 a bad ORG or argument: exit 2 with one line', async () => {
        for (const args of [['dnssd', 'records', 'no-such-org'], ['dnssd', 'records', 'Bad Slug!'], ['dnssd', 'records'],
            ['dnssd', 'zone', org.slug], ['dnssd', 'records', org.slug, '--domain', 'bad domain'],
            ['dnssd', 'mobileconfig', 'no-such-org']]) {
            const r = await run(QUIRE, args, cliEnv());
            assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
            const lines = r.stderr.split('\n').filter((l) => l && !l.startsWith('{'));
            assert.equal(lines.length, 1, `${args.join(' ')}: one line: ${r.stderr}`);
            assert.equal(r.stdout, '', 'nothing on stdout');
        }
        // public_url given by IP address: an SRV record needs a host name.
        const ip = await run(QUIRE, ['dnssd', 'records', org.slug], { ...srv.env, QUIRE_PUBLIC_URL: 'https://192.0.2.7:8443' });
        assert.equal(ip.code, 1, ip.stderr);
        assert.match(ip.stderr, /host name/);
    });

    test('PRN-1 the configuration profile has one AirPrint payload for public_url\'s host and port', async () => {
        const r = await run(QUIRE, ['dnssd', 'mobileconfig', org.slug], cliEnv());
        assert.equal(r.code, 0, r.stderr);
        const x = r.stdout;
        assert.match(x, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist/);
        const dictOf = (key) => new RegExp(`<key>${key}</key>\\s*<(string|integer)>([^<]*)</`).exec(x)?.[2];
        assert.equal(dictOf('IPAddress'), host);
        assert.equal(dictOf('Port'), String(publicPort));
        assert.equal(dictOf('ResourcePath'), 'ipp/print');
        assert.match(x, /<key>ForceTLS<\/key>\s*<true\/>/);
        assert.match(x, /<key>PayloadType<\/key>\s*<string>com\.apple\.airprint<\/string>/);
        assert.match(x, /<key>PayloadType<\/key>\s*<string>Configuration<\/string>/);
        assert.ok(x.includes('Acme "North"; Print. Ltd Secure Print'), 'named after the org');
        const uuids = [...x.matchAll(/<key>PayloadUUID<\/key>\s*<string>([0-9A-F-]{36})<\/string>/g)].map((m) => m[1]);
        assert.equal(new Set(uuids).size, 2, 'two distinct payload UUIDs');
        const again = await run(QUIRE, ['dnssd', 'mobileconfig', org.slug], cliEnv());
        assert.equal(again.stdout, x, 'the same profile each time (stable UUIDs)');
    });
});
