/* SPDX-License-Identifier: Apache-2.0 */
/* quire: signed tokens (JWS compact serialization, RFC 7515) with ES256 (ECDSA P-256 with
 * SHA-256, RFC 7518 3.4): access tokens and, later, ID tokens. The header names the key
 * (kid) so that keys rotate without invalidating tokens already issued. */
#ifndef QR_TOKEN_H
#define QR_TOKEN_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define QR_TOKEN_MAX 4096
#define QR_KID_MAX 64

/* Signs claims with an EC P-256 private key under key id kid. Returns a new string (caller
 * frees) or NULL if signing failed. */
char *qr_token_sign(EVP_PKEY *key, const char *kid, const char *typ, const json_t *claims);
/* The same for a payload given as bytes (n of them, any content): what qr_token_sign does
 * after serializing the claims. The fuzz target signs outside input with it, so that the
 * claims parsing behind the signature check is reached. */
char *qr_token_sign_payload(EVP_PKEY *key, const char *kid, const char *typ, const void *payload,
                            size_t n);
/* Reads the kid of a token's header if the header is exactly {"alg":"ES256", "kid", "typ"}
 * and well-formed; returns 0 and fills kid, -1 otherwise. No signature is checked here. */
int qr_token_kid(const char *token, size_t len, char kid[QR_KID_MAX + 1]);
/* A bounded memory of tokens whose signature was verified (their SHA-256 and expiry), so
 * that a client presenting the same access token again does not cost another ECDSA
 * verification. Thread-safe; fixed size (QR_SIGCACHE_SLOTS), so it cannot be grown. */
typedef struct qr_sigcache qr_sigcache_t;
#define QR_SIGCACHE_SLOTS 4096
/* Creates an empty cache. Aborts on OOM. */
qr_sigcache_t *qr_sigcache_create(void);
/* Frees the cache; accepts NULL. */
void qr_sigcache_destroy(qr_sigcache_t *c);

/* Verifies the signature with key, then iss, aud, exp and iat against now. Returns the
 * claims (new reference, caller decrefs) or NULL if the token is not valid for any reason.
 * With a cache (may be NULL), a token whose exact bytes were verified before (with the key
 * its kid names: the caller keeps one cache per set of keys) and that has not expired skips
 * the signature check; every claim is still checked. */
json_t *qr_token_verify(EVP_PKEY *key, qr_sigcache_t *cache, const char *token, size_t len,
                        const char *iss, const char *aud, int64_t now);
/* The public JWK (RFC 7517) of an EC P-256 key: {"kty":"EC","crv":"P-256","x","y","kid",
 * "alg":"ES256","use":"sig"}. New reference or NULL. */
json_t *qr_token_jwk(EVP_PKEY *key, const char *kid);

#endif
