// SPDX-License-Identifier: Apache-2.0
// End-to-end harness: starts a real quired (SQLite, or a fresh PostgreSQL database when
// QUIRE_TEST_PG_URL is set), bootstraps it with `quire bootstrap --json`, and talks to it
// over verified TLS only, like a user's client would.

import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN_DIR = path.resolve(REPO_ROOT, process.env.QUIRE_BIN_DIR || 'build');
export const QUIRED = path.join(BIN_DIR, 'quired');
export const QUIRE = path.join(BIN_DIR, 'quire');

const HEALTH_TRIES = 200;
const HEALTH_INTERVAL_MS = 50;
const STOP_TIMEOUT_MS = 30000;
const CMD_TIMEOUT_MS = 60000;

/** A string as an SQL literal ('...' with quotes doubled). */
export function sqlLiteral(s) {
    return `'${String(s).replace(/'/g, "''")}'`;
}

/** Returns n random bytes as lowercase hex (default 4 bytes = 8 characters). */
export function uniq(n = 4) {
    return crypto.randomBytes(n).toString('hex');
}

/** A password that satisfies AUTH-2 and contains no username made by these helpers. */
export function strongPassword() {
    return `Quire-Test-7x!${uniq(3)}`;
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function delay(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

/** Runs a command; resolves {code, signal, error, stdout, stderr}. */
export function run(cmd, args, env) {
    return new Promise((resolve) => {
        execFile(cmd, args, { env, timeout: CMD_TIMEOUT_MS, maxBuffer: 16 << 20 },
            (err, stdout, stderr) => {
                resolve({
                    code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
                    signal: err ? err.signal : null,
                    error: err,
                    stdout: String(stdout),
                    stderr: String(stderr),
                });
            });
    });
}

/** Runs one SQL statement with psql; resolves its unaligned, tuples-only output. */
async function psql(url, sql) {
    const r = await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-A', '-t', '-c', sql], process.env);
    if (r.code !== 0)
        throw new Error(`psql failed (${sql}): ${r.stderr || r.error}`);
    return r.stdout.trim();
}

function dbUrl(baseUrl, name) {
    const u = new URL(baseUrl);
    u.pathname = '/' + name;
    return u.toString();
}

function tail(file, lines = 40) {
    try {
        const t = fs.readFileSync(file, 'utf8').split('\n');
        return t.slice(-lines).join('\n');
    } catch {
        return '';
    }
}

/** Parses the one JSON object that `quire bootstrap --json` prints. */
function parseBootstrap(stdout) {
    const text = stdout.trim();
    try {
        return JSON.parse(text);
    } catch {
        const line = text.split('\n').reverse().find((l) => l.trim().startsWith('{'));
        if (!line)
            throw new Error(`quire bootstrap --json printed no JSON object: ${JSON.stringify(text)}`);
        return JSON.parse(line);
    }
}

/** Decodes the payload of a JWT without checking it. */
export function jwtPayload(token) {
    const parts = String(token).split('.');
    assert.equal(parts.length, 3, 'a JWT has three dot-separated parts');
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

/** Starts quired on a fresh bootstrap. opts.env: extra environment. The bootstrap admin's
 * one-time password is replaced by one of its own (srv.root.password; the printed one is
 * srv.root.oneTimePassword) unless opts.keepOneTimePassword. */
export async function startServer(opts = {}) {
    const extraEnv = opts.env || {};
    const srv = {
        dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'quire-e2e-')),
        port: await freePort(),
        dbName: null,
        dbUrl: null,
        root: null,
        proc: null,
        exited: null,
        agent: null,
        ca: null,
        env: null,
        stopped: true,
        clockOffset: 0,
    };
    const pgBase = process.env.QUIRE_TEST_PG_URL;
    if (pgBase) {
        srv.dbName = `quire_e2e_${uniq(6)}`;
        await psql(pgBase, `CREATE DATABASE ${srv.dbName}`);
        srv.dbUrl = dbUrl(pgBase, srv.dbName);
    }
    const env = { ...process.env };
    delete env.QUIRE_CONFIG;
    delete env.QUIRE_DATABASE;
    Object.assign(env, {
        QUIRE_DATA_DIR: srv.dataDir,
        QUIRE_PORT: String(srv.port),
        QUIRE_LISTEN: '127.0.0.1',
        QUIRE_TEST_CLOCK: '1',
        // Automatic backups run when the test clock moves; only backup.test.js wants them.
        QUIRE_BACKUP_INTERVAL_HOURS: '0',
    });
    if (srv.dbUrl)
        env.QUIRE_DATABASE = srv.dbUrl;
    Object.assign(env, extraEnv);
    srv.env = env;
    srv.stderrPath = path.join(srv.dataDir, 'quired.stderr.log');
    srv.stdoutPath = path.join(srv.dataDir, 'quired.stdout.log');

    const boot = await run(QUIRE, ['bootstrap', '--json'], env);
    if (boot.code !== 0) {
        await dropDb(srv);
        throw new Error(`quire bootstrap --json failed (exit ${boot.code}${boot.signal ? ', ' + boot.signal : ''}): ${boot.stderr}`);
    }
    const b = parseBootstrap(boot.stdout);
    for (const k of ['org_id', 'org_slug', 'username', 'password'])
        assert.ok(b[k] !== undefined && b[k] !== null, `quire bootstrap --json lacks ${k}: ${boot.stdout}`);
    srv.root = { orgId: b.org_id, slug: b.org_slug, username: b.username, password: b.password };

    attachMethods(srv);
    await srv.spawn();
    if (!opts.keepOneTimePassword) // the printed password is one-time, as an admin would
        await replaceOneTimePassword(srv, srv.root);
    return srv;
}

/** Starts a second quired on srv's PostgreSQL database and data directory (master key,
 * certificate, documents), on a port of its own: another server of the same installation
 * (OPS-2). Its test clock starts where srv's real time is, without srv's offset. Stop it
 * with peer.halt(); srv.stop() cleans up the shared parts. */
export async function startPeer(srv) {
    assert.ok(srv.dbUrl, 'servers share a database only on PostgreSQL');
    const peer = {
        dataDir: srv.dataDir, port: await freePort(), dbName: null, dbUrl: srv.dbUrl,
        root: srv.root, proc: null, exited: null, agent: null, ca: srv.ca, env: null,
        stopped: true, clockOffset: 0,
    };
    peer.env = { ...srv.env, QUIRE_PORT: String(peer.port) };
    peer.stderrPath = path.join(srv.dataDir, `quired-${peer.port}.stderr.log`);
    peer.stdoutPath = path.join(srv.dataDir, `quired-${peer.port}.stdout.log`);
    attachMethods(peer);
    await peer.spawn();
    return peer;
}

async function dropDb(srv) {
    if (!srv.dbName)
        return;
    const name = srv.dbName;
    srv.dbName = null;
    await psql(process.env.QUIRE_TEST_PG_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

function attachMethods(srv) {
    /** Spawns quired and waits until /healthz answers over verified TLS. */
    srv.spawn = async () => {
        const out = fs.openSync(srv.stdoutPath, 'a');
        const err = fs.openSync(srv.stderrPath, 'a');
        const proc = spawn(QUIRED, [], { env: srv.env, stdio: ['ignore', out, err] });
        fs.closeSync(out);
        fs.closeSync(err);
        srv.proc = proc;
        srv.stopped = false;
        srv.exited = new Promise((resolve) => {
            proc.on('exit', (code, signal) => resolve({ code, signal }));
            proc.on('error', (e) => resolve({ code: -1, signal: null, error: e }));
        });
        let exitInfo = null;
        srv.exited.then((x) => { exitInfo = x; });
        const certPath = path.join(srv.dataDir, 'tls', 'cert.pem');
        let lastErr = null;
        for (let i = 0; i < HEALTH_TRIES; i++) {
            if (exitInfo)
                break;
            if (!srv.ca && fs.existsSync(certPath)) {
                try {
                    const pem = fs.readFileSync(certPath);
                    if (pem.includes('-----END CERTIFICATE-----'))
                        srv.ca = pem;
                } catch { /* not yet written */ }
            }
            if (srv.ca) {
                if (!srv.agent)
                    srv.agent = new https.Agent({ keepAlive: true, maxFreeSockets: 16, ca: srv.ca });
                try {
                    const r = await srv.request('GET', '/healthz', { timeout: 2000 });
                    if (r.status === 200)
                        return;
                    lastErr = new Error(`/healthz answered ${r.status}`);
                } catch (e) {
                    lastErr = e;
                }
            }
            await delay(HEALTH_INTERVAL_MS);
        }
        if (!exitInfo) {
            proc.kill('SIGKILL');
            await srv.exited;
        }
        srv.stopped = true;
        const why = exitInfo ? `quired exited (${JSON.stringify(exitInfo)})` :
            `quired did not answer /healthz: ${lastErr && lastErr.message}`;
        const dbName = srv.dbName;
        await dropDb(srv).catch(() => {});
        throw new Error(`${why}${dbName ? ' [db ' + dbName + ']' : ''}\n--- quired stderr (tail) ---\n${tail(srv.stderrPath)}`);
    };

    /** The last lines quired wrote to stderr. */
    srv.logTail = (n = 40) => tail(srv.stderrPath, n);

    /** HTTPS request. opts: body (JSON-encoded), rawBody (Buffer/string, sent as is), token,
     * headers, timeout, chunked (send rawBody without Content-Length). Resolves
     * {status, headers, json, text}. The path is sent exactly as given. */
    srv.request = (method, reqPath, opts = {}) => {
        const attempt = (retry) => new Promise((resolve, reject) => {
            const headers = { ...(opts.headers || {}) };
            let payload = null;
            if (opts.body !== undefined) {
                payload = Buffer.from(JSON.stringify(opts.body));
                if (!hasHeader(headers, 'content-type'))
                    headers['Content-Type'] = 'application/json';
            } else if (opts.rawBody !== undefined) {
                payload = Buffer.isBuffer(opts.rawBody) ? opts.rawBody : Buffer.from(opts.rawBody);
            }
            if (payload && !opts.chunked && !hasHeader(headers, 'content-length'))
                headers['Content-Length'] = String(payload.length);
            if (opts.token)
                headers.Authorization = `Bearer ${opts.token}`;
            const req = https.request({
                host: '127.0.0.1',
                port: srv.port,
                servername: 'localhost',
                ca: srv.ca,
                agent: srv.agent,
                method,
                path: reqPath,
                headers,
                timeout: opts.timeout || 60000,
            }, (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('error', reject);
                res.on('end', () => {
                    const buf = Buffer.concat(chunks);
                    const text = buf.toString('utf8');
                    let json = null;
                    try {
                        json = text.length ? JSON.parse(text) : null;
                    } catch { /* not JSON */ }
                    const out = { status: res.statusCode, headers: res.headers, json, text, raw: buf };
                    Object.defineProperty(out, 'logTail', { value: srv.logTail, enumerable: false });
                    resolve(out);
                });
            });
            req.on('timeout', () => req.destroy(new Error(`${method} ${reqPath}: timed out`)));
            req.on('error', (e) => {
                // A kept-alive socket the server closed meanwhile: try once on a new one.
                if (retry && req.reusedSocket && e.code === 'ECONNRESET')
                    attempt(false).then(resolve, reject);
                else
                    reject(e);
            });
            if (payload)
                req.write(payload);
            req.end();
        });
        return attempt(true);
    };

    /** Sends bytes over a fresh verified TLS connection and resolves {status, text, head}
     * (for requests node's client would refuse to send or would alter). */
    srv.rawRequest = (bytes) => new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: srv.ca });
        const chunks = [];
        s.setTimeout(30000, () => s.destroy(new Error('raw request timed out')));
        s.on('secureConnect', () => s.write(bytes));
        s.on('data', (c) => chunks.push(c));
        s.on('error', (e) => {
            if (chunks.length)
                finish();
            else
                reject(e);
        });
        s.on('end', finish);
        s.on('close', finish);
        let done = false;
        function finish() {
            if (done)
                return;
            done = true;
            const text = Buffer.concat(chunks).toString('latin1');
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
            const sep = text.indexOf('\r\n\r\n');
            const body = sep >= 0 ? text.slice(sep + 4) : '';
            let json = null;
            try {
                json = JSON.parse(body);
            } catch { /* chunked or not JSON */ }
            if (!json) {
                const b = body.indexOf('{');
                const e = body.lastIndexOf('}');
                if (b >= 0 && e > b) {
                    try {
                        json = JSON.parse(body.slice(b, e + 1));
                    } catch { /* not JSON */ }
                }
            }
            resolve({ status: m ? Number(m[1]) : 0, text, head: sep >= 0 ? text.slice(0, sep) : text, json });
        }
    });

    /** GET path with a raw request line (Connection: close). */
    srv.rawGet = (rawPath, token) => srv.rawRequest(
        `GET ${rawPath} HTTP/1.1\r\nHost: localhost:${srv.port}\r\n` +
        (token ? `Authorization: Bearer ${token}\r\n` : '') + 'Connection: close\r\n\r\n');

    /** Logs in; asserts 200 and returns the token response. */
    srv.login = async (slug, username, password) => {
        const r = await srv.tryLogin(slug, username, password);
        assertStatus(r, 200, `login ${slug}/${username}`);
        return r.json;
    };

    /** POST /api/v1/auth/login, whatever the outcome. */
    srv.tryLogin = (slug, username, password, opts = {}) => srv.request('POST', '/api/v1/auth/login',
        { ...opts, body: { org: slug, username, password } });

    /** Logs in as the bootstrap root provider admin; returns the access token. */
    srv.rootToken = async () => (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;

    /** Runs one SQL statement directly on the server's database (sqlite3 CLI or psql), for
     * states the API cannot create, such as rows written before a rule existed. Values
     * in sql must be literals; sqlLiteral() quotes a string. Resolves the output, one row
     * per line, columns separated by |. */
    srv.sql = async (sql) => {
        if (srv.dbUrl)
            return psql(srv.dbUrl, sql);
        const r = await run('sqlite3', ['-cmd', '.timeout 5000', path.join(srv.dataDir, 'quire.db'), sql], process.env);
        if (r.code !== 0)
            throw new Error(`sqlite3 failed (${sql}): ${r.stderr}`);
        return r.stdout.trim();
    };

    /** Moves the server's test clock; returns the server's new time (epoch seconds). */
    srv.advanceClock = async (seconds) => {
        const r = await srv.request('POST', '/_test/clock', { body: { advance_seconds: seconds } });
        assertStatus(r, 200, `advance clock by ${seconds}`);
        assert.equal(typeof r.json.now, 'number', '/_test/clock answers {"now": N}');
        srv.clockOffset += seconds;
        return r.json.now;
    };

    /** The server's current time (epoch seconds). */
    srv.clockNow = () => srv.advanceClock(0);

    /** Stops quired with SIGTERM and asserts that it exits with status 0; keeps the data. */
    srv.halt = async () => {
        if (srv.stopped)
            return;
        srv.stopped = true;
        if (srv.agent) {
            srv.agent.destroy();
            srv.agent = null;
        }
        srv.proc.kill('SIGTERM');
        let timer;
        const timeout = new Promise((r) => { timer = setTimeout(() => r(null), STOP_TIMEOUT_MS); });
        let res = await Promise.race([srv.exited, timeout]);
        clearTimeout(timer);
        if (res === null) {
            srv.proc.kill('SIGKILL');
            await srv.exited;
            assert.fail(`OPS-3 quired did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- quired stderr (tail) ---\n${srv.logTail()}`);
        }
        assert.ok(res.code === 0 && res.signal === null,
            `OPS-3 quired must exit with status 0 on SIGTERM, got ${JSON.stringify(res)}\n--- quired stderr (tail) ---\n${srv.logTail()}`);
    };

    /** Stops and starts quired again on the same data directory, database and port. The
     * test clock's offset lives in the process, so it is moved forward again to where it was
     * (otherwise tokens issued before the restart would come from the future). */
    srv.restart = async () => {
        await srv.halt();
        await srv.spawn();
        const offset = srv.clockOffset;
        srv.clockOffset = 0;
        if (offset)
            await srv.advanceClock(offset);
    };

    /** Stops quired (asserting exit status 0) and drops its PostgreSQL database; removes
     * the data directory unless QUIRE_E2E_KEEP is set or quired misbehaved. */
    srv.stop = async () => {
        try {
            await srv.halt();
            if (!process.env.QUIRE_E2E_KEEP)
                fs.rmSync(srv.dataDir, { recursive: true, force: true });
        } finally {
            await dropDb(srv);
        }
    };
}

function hasHeader(headers, name) {
    return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** Asserts an HTTP status; the message carries the response body. */
export function assertStatus(res, status, what = '') {
    const ok = Array.isArray(status) ? status.includes(res.status) : res.status === status;
    if (!ok) {
        // A server error: quired's own words help more than ours.
        const log = res.status >= 500 && res.logTail ? `\n--- quired stderr (tail) ---\n${res.logTail(30)}` : '';
        assert.fail(`${what ? what + ': ' : ''}expected HTTP ${Array.isArray(status) ? status.join('|') : status}, got ${res.status} ${res.text.slice(0, 500)}${log}`);
    }
}

/** Asserts an error answer: status and error code (code may be an array of allowed codes). */
export function assertError(res, status, code, what = '') {
    assertStatus(res, status, what);
    assert.ok(res.json && typeof res.json === 'object', `${what}: error body is JSON: ${res.text.slice(0, 300)}`);
    const codes = Array.isArray(code) ? code : [code];
    assert.ok(codes.includes(res.json.error), `${what}: expected error ${codes.join('|')}, got ${JSON.stringify(res.json)}`);
    assert.equal(typeof res.json.message, 'string', `${what}: error has a message`);
}

/** Makes sure a user can log in (AUTH-1): an inactive user is activated by the admin. */
async function ensureActive(srv, adminToken, user) {
    if (user.active === false) {
        const r = await srv.request('PATCH', `/api/v1/users/${user.id}`, { token: adminToken, body: { active: true } });
        assertStatus(r, 200, `activate ${user.username}`);
    }
}

/** Creates a child organization through the API (POST /api/v1/orgs) with an admin. Returns
 * {org, admin: {id, username, role, password, slug}, token}; the admin is logged in. */
export async function createOrg(srv, token, { parentId, type, name, slug, extra = {}, admin = true }) {
    const s = slug || `${type === 'provider' ? 'prov' : 'cust'}-${uniq()}`;
    const body = { parent_id: parentId, type, name: name || `Org ${s}`, slug: s, ...extra };
    if (admin)
        body.admin = typeof admin === 'object' ? admin : { username: `admin.${uniq()}` };
    const r = await srv.request('POST', '/api/v1/orgs', { token, body });
    assertStatus(r, 201, `create ${type} org ${s}`);
    const out = { org: r.json, admin: null, token: null };
    if (admin) {
        assert.ok(r.json.admin, `created org has an "admin" object: ${r.text}`);
        out.admin = { ...r.json.admin, slug: s, orgId: r.json.id };
        out.token = await replaceOneTimePassword(srv, out.admin);
    }
    return out;
}

/** Signs a user with a generated (one-time) password in and replaces it with one of their
 * own, as the person would first; user.password becomes the new one (the generated one is
 * kept as user.oneTimePassword). Returns the access token, which then works fully. */
export async function replaceOneTimePassword(srv, user) {
    const t = await srv.login(user.slug, user.username, user.password);
    const fresh = strongPassword();
    const r = await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
        body: { current_password: user.password, new_password: fresh } });
    assertStatus(r, 204, `${user.username} replaces the one-time password`);
    user.oneTimePassword = user.password;
    user.password = fresh;
    return t.access_token;
}

/** Creates a user in org orgId through the API (POST /api/v1/orgs/{id}/users) with a known
 * password; returns the user object plus password, slug, orgId. */
export async function createUser(srv, token, org, { role, username, password, extra = {} }) {
    const u = username || `${role.replace(/_/g, '')}.${uniq()}`;
    const p = password || strongPassword();
    const r = await srv.request('POST', `/api/v1/orgs/${org.id}/users`,
        { token, body: { username: u, role, password: p, ...extra } });
    assertStatus(r, 201, `create ${role} ${u}`);
    await ensureActive(srv, token, r.json);
    return { ...r.json, password: p, slug: org.slug, orgId: org.id };
}

/** Builds an org tree through the API, as the bootstrap root admin and then each parent's
 * admin. spec: ordered entries [key, {parent: 'root' | earlier key, type, users: [roles]}].
 * Returns {root: {org: {id, slug}, token}, [key]: {org, admin, token, users: {role: user}}};
 * every user (admins included) carries its password and logs in with tokenOf(). */
export async function createOrgTree(srv, spec) {
    const tree = { root: { org: { id: srv.root.orgId, slug: srv.root.slug }, token: await srv.rootToken(), users: {} } };
    for (const [key, { parent = 'root', type, users = [] }] of spec) {
        const p = tree[parent];
        assert.ok(p, `createOrgTree: parent ${parent} of ${key} comes first`);
        const o = await createOrg(srv, p.token, { parentId: p.org.id, type, slug: `${key.toLowerCase().replace(/[^a-z0-9]/g, '')}-${uniq()}` });
        o.users = {};
        for (const role of users)
            o.users[role] = await createUser(srv, o.token, o.org, { role });
        tree[key] = o;
    }
    return tree;
}

/** Logs a user made by these helpers in; returns the access token. */
export async function tokenOf(srv, user) {
    return (await srv.login(user.slug, user.username, user.password)).access_token;
}

/** Runs fn(ctx) so that it ends within the server clock second it started in: waits (bounded)
 * for the server's clock to tick to a new second, runs fn, and retries if the second rolled
 * over meanwhile (the clock follows real time with 1-second resolution, and boundary tests
 * such as "still locked after 29:59" must not be off by one). prepare() (optional) runs
 * before the wait on every try and its result is fn's ctx: put slow set-up there. fn must
 * only observe (no asserts: the caller asserts on what it returns, because a run that
 * straddled a second is thrown away) and returns {advanced, ...} with the seconds it moved
 * the clock. Returns the result of a clean run. */
export async function withinOneSecond(srv, fn, { prepare = null, tries = 10 } = {}) {
    const took = [];
    for (let i = 0; i < tries; i++) {
        const ctx = prepare ? await prepare() : undefined;
        let start = await srv.clockNow();
        for (let j = 0; j < 5000; j++) {
            const n = await srv.clockNow();
            if (n !== start) {
                start = n;
                break;
            }
        }
        const t0 = Date.now();
        const res = await fn(ctx);
        const end = await srv.clockNow();
        if (end === start + (res.advanced || 0))
            return res;
        took.push(Date.now() - t0);
    }
    assert.fail(`could not run a time-boundary check within one clock second in ${tries} tries (ms: ${took.join(' ')})`);
}
