// SPDX-License-Identifier: Apache-2.0
// The peer for bench/oauth.sh: oidc-provider (npm, the reference Node.js OpenID provider) on
// node's https server, one process (node runs JavaScript on one thread), with the client
// credentials grant, introspection and userinfo. Loopback only.
//
// Environment (set by oauth.sh): OIDC_BENCH_PORT, OIDC_BENCH_CERT, OIDC_BENCH_KEY (quired's
// own TLS certificate and key), OIDC_BENCH_CLIENT_ID, OIDC_BENCH_CLIENT_SECRET (the same shapes
// as a quire API client's: 32 hex digits, 43 base64url characters).
//
// Access tokens: the client credentials grant issues JWT access tokens (`at+jwt`, ES256 with a
// fresh P-256 key, 900 s, like quired's) for the default resource urn:quire:bench:jwt. The
// provider cannot introspect its own JWT access tokens (they are not stored), so a second
// resource, urn:quire:bench:opaque, gives opaque tokens (kept in the default in-memory
// adapter) for the introspection run. Userinfo accepts only an opaque token without an
// audience carrying the openid scope, which only the authorization code flow issues (a browser
// login); at start-up this script mints such a token with the provider's own models (a Grant
// and an AccessToken, as the code grant would save them) and prints it on the ready line.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const env = (name) => {
    const v = process.env[name];
    if (!v)
        throw new Error(`${name} is not set`);
    return v;
};
const port = Number(env('OIDC_BENCH_PORT'));
const clientId = env('OIDC_BENCH_CLIENT_ID');
const clientSecret = env('OIDC_BENCH_CLIENT_SECRET');
const issuer = `https://localhost:${port}`;
const JWT_RESOURCE = 'urn:quire:bench:jwt';
const OPAQUE_RESOURCE = 'urn:quire:bench:opaque';
const TTL = 900; // quired's access token lifetime

const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
Object.assign(jwk, { kid: 'bench-es256', use: 'sig', alg: 'ES256' });

// The account behind the userinfo token: about the fields quired's /api/v1/me returns.
const account = {
    sub: 'a6c1f0d2b4e94c0e9a7d3b2f1e0c9d8a',
    name: 'admin',
    preferred_username: 'admin',
    email: 'admin@example.org',
    email_verified: true,
    locale: 'en',
    updated_at: 1700000000,
};

const provider = new Provider(issuer, {
    clients: [{
        client_id: clientId,
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['https://127.0.0.1/callback'],
        id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [jwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username', 'locale', 'updated_at'],
        email: ['email', 'email_verified'],
    },
    findAccount: async (_ctx, id) => (id === account.sub ? { accountId: id, claims: async () => account } : undefined),
    ttl: { AccessToken: TTL, ClientCredentials: TTL, Grant: 3600, Interaction: 600, Session: 3600 },
    cookies: { keys: ['quire-bench-cookie-key-not-secret'] },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true, allowedPolicy: async () => true },
        userinfo: { enabled: true },
        resourceIndicators: {
            enabled: true,
            defaultResource: async (_ctx, _client, oneOf) => oneOf ?? JWT_RESOURCE,
            useGrantedResource: async () => true,
            getResourceServerInfo: async (_ctx, resource) => {
                if (resource === JWT_RESOURCE)
                    return { scope: 'api', audience: 'quire-api', accessTokenTTL: TTL, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
                if (resource === OPAQUE_RESOURCE)
                    return { scope: 'api', audience: 'quire-api', accessTokenTTL: TTL, accessTokenFormat: 'opaque' };
                throw new errors.InvalidTarget();
            },
        },
    },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

// A userinfo access token, as the authorization code grant would have saved it.
const client = await provider.Client.find(clientId);
const grant = new provider.Grant({ accountId: account.sub, clientId });
grant.addOIDCScope('openid profile email');
const grantId = await grant.save();
const userinfoToken = await new provider.AccessToken({
    accountId: account.sub, client, grantId, gty: 'authorization_code', scope: 'openid profile email',
}).save();

const server = createServer({ cert: readFileSync(env('OIDC_BENCH_CERT')), key: readFileSync(env('OIDC_BENCH_KEY')) },
    provider.callback());
server.keepAliveTimeout = 75_000; // like nginx in run.sh; wrk keeps its connections busy anyway
server.listen(port, '127.0.0.1', () => {
    console.log(JSON.stringify({ ready: true, issuer, node: process.version, userinfo_token: userinfoToken }));
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
