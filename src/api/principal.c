/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the one authenticator. Every caller of a route that needs one, a person (user
 * token), an MFP (device token) or an API client (an API key's token, whose principal carries
 * the token's scopes for policy, REP-5), becomes one qr_principal_t here
 * before the handler runs; handlers only read qr_req_principal(r) and never look at the
 * Authorization header (IPP's Basic path and /metrics' static token are not principals and
 * stay with their handlers). */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/session.h"
#include "device/device.h"

_Static_assert(sizeof(qr_principal_t) <= QR_REQ_AUTH_MAX,
               "the principal must fit the request's opaque slot");

const qr_principal_t *qr_req_principal(qr_req_t *r) {
    return qr_req_auth(r);
}

qr_status_t qr_principal_check_one_time(const qr_principal_t *p, int route_flags, qr_err_t *err) {
    if (p->kind != QR_PRINCIPAL_USER || !p->must_change_password ||
        (route_flags & QR_ROUTE_ONE_TIME))
        return QR_OK;
    return qr_err_set(err, QR_E_FORBIDDEN, "password_change_required",
                      "this account signed in with a one-time password: choose your own with "
                      "POST /api/v1/me/password first");
}

typedef qr_status_t (*resolve_fn)(qr_ctx_t *ctx, const char *token, size_t len, qr_principal_t *p,
                                  qr_err_t *err);

/* The kinds of bearer token, by the route flag that accepts them, in the order tried. */
static const struct {
    int flag;
    resolve_fn resolve;
} kinds[] = {
    {QR_ROUTE_AUTH, qr_session_authenticate},          /* auth/: a user's session */
    {QR_ROUTE_DEVICE, qr_device_authenticate},         /* device/: an MFP's client */
    {QR_ROUTE_CLIENT, qr_session_authenticate_client}, /* auth/: an org's API client */
};

qr_status_t qr_principal_authenticate(qr_ctx_t *ctx, const char *authorization, int route_flags,
                                      qr_principal_t *p, qr_err_t *err) {
    qr_status_t st = QR_E_UNAUTHORIZED;
    memset(p, 0, sizeof(*p));
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) {
        int device_only = (route_flags & (QR_ROUTE_AUTH | QR_ROUTE_DEVICE)) == QR_ROUTE_DEVICE;
        return qr_err_set(err, st, NULL,
                          device_only ? "a device bearer token is required"
                                      : "a bearer access token is required");
    }
    /* Each kind the route accepts, in turn, until one recognizes the token. When none does,
     * the first kind's refusal is the answer; a server error of any is. */
    const char *token = authorization + 7;
    size_t len = strlen(token);
    int tried = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (!(route_flags & kinds[i].flag) || st != QR_E_UNAUTHORIZED)
            continue;
        qr_err_t e = {QR_OK, NULL, ""};
        st = kinds[i].resolve(ctx, token, len, p, &e);
        if (!tried || (st && st != QR_E_UNAUTHORIZED))
            *err = e;
        tried = 1;
    }
    if (!st)
        st = qr_principal_check_one_time(p, route_flags, err);
    if (st)
        memset(p, 0, sizeof(*p));
    return st;
}

qr_status_t qr_api_guard(qr_req_t *r, int route_flags, qr_err_t *err) {
    if (!(route_flags & (QR_ROUTE_AUTH | QR_ROUTE_DEVICE | QR_ROUTE_CLIENT)))
        return QR_OK;
    return qr_principal_authenticate(qr_req_ctx(r), qr_req_header(r, "Authorization"), route_flags,
                                     qr_req_auth(r), err);
}
