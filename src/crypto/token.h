/* SPDX-License-Identifier: Apache-2.0 */
/* quire: signed access tokens (JWT, RFC 7519). The foundation signs with HMAC-SHA-256 under
 * a key derived from the master key; asymmetric signatures and a JWKS follow with the
 * OAuth 2.0 server. */
#ifndef QR_TOKEN_H
#define QR_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define QR_TOKEN_MAX 4096

/* Signs claims (a JSON object) into a compact JWS. Returns a new string; caller frees. */
char *qr_token_sign(const unsigned char *key, size_t keylen, const json_t *claims);
/* Verifies signature, iss, aud and exp/iat against now. Returns the claims (new reference,
 * caller decrefs) or NULL if the token is not valid for any reason. */
json_t *qr_token_verify(const unsigned char *key, size_t keylen, const char *token, size_t len,
                        const char *iss, const char *aud, int64_t now);

#endif
