/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the panel side of a device (/api/v1/device/login), and PINs and cards
 * (/api/v1/me/pin, /api/v1/me/cards, /api/v1/users/{id}/cards). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/pin.h"
#include "core/json.h"
#include "device/panel.h"

void qr_api_panel_login(qr_req_t *r) {
    static const char *const keys[] = {"method", "username", "password", "pin", "card", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_panel_input_t in = {0};
    qr_panel_session_t s = {0};
    json_t *b = qr_req_body(r), *out = NULL;
    qr_status_t st;
    if (!(st = qr_json_get_str(b, "method", 1, 16, &in.method, &err)) &&
        !(st = qr_json_get_str(b, "username", 0, 256, &in.username, &err)) &&
        !(st = qr_json_get_str(b, "password", 0, 256, &in.password, &err)) &&
        !(st = qr_json_get_str(b, "pin", 0, 16, &in.pin, &err)) &&
        !(st = qr_json_get_str(b, "card", 0, 64, &in.card, &err)))
        st = qr_panel_login(qr_req_ctx(r), qr_req_principal(r), &in, qr_req_source(r), &s, &err);
    if (!st)
        out =
            json_pack("{s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s}}", "access_token", s.access_token,
                      "token_type", "Bearer", "expires_in", s.expires_in, "user", "id", s.user_id,
                      "username", s.username, "first_name", s.first_name, "last_name", s.last_name);
    qr_api_finish(r, st, &err, out, 200);
    qr_panel_session_clear(&s);
}

void qr_api_me_pin_set(qr_req_t *r) {
    static const char *const keys[] = {"pin", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *pin = NULL;
    char *shown = NULL;
    qr_status_t st = qr_json_get_str(qr_req_body(r), "pin", 0, 16, &pin, &err);
    if (!st)
        st = qr_pin_set(qr_req_ctx(r), qr_req_principal(r), pin, &shown, &err);
    qr_api_finish(r, st, &err, st ? NULL : json_pack("{s:s}", "pin", shown), 200);
    if (shown) {
        memset(shown, 0, strlen(shown));
        free(shown);
    }
}

void qr_api_me_pin_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    char *pin = NULL;
    int pending = 0;
    qr_status_t st = qr_pin_get(qr_req_ctx(r), qr_req_principal(r), &pin, &pending, &err);
    qr_api_finish(r, st, &err, st ? NULL : json_pack("{s:s, s:b}", "pin", pin, "new", pending),
                  200);
    if (pin) {
        memset(pin, 0, strlen(pin));
        free(pin);
    }
}

/* A card as its owner and admins see it: {"id", "user_id", "number" (masked), "created_at"}. */
static json_t *card_json(const void *row) {
    const qr_card_t *k = row;
    return json_pack("{s:s, s:s, s:s, s:I}", "id", k->id, "user_id", k->user_id, "number",
                     k->number, "created_at", (json_int_t)k->created_at);
}

/* The cards of user_id (NULL: the principal's own) as {"items": [...]}. */
static void cards_list(qr_req_t *r, const char *user_id) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_card_t *v = NULL;
    size_t n = 0;
    qr_status_t st = qr_card_list_read(qr_req_ctx(r), qr_req_principal(r), user_id, &v, &n, &err);
    qr_api_finish_items(r, st, &err, v, n, sizeof(*v), card_json);
    free(v);
}

void qr_api_me_cards_add(qr_req_t *r) {
    static const char *const keys[] = {"number", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *number;
    qr_card_t k;
    qr_status_t st = qr_json_get_str(qr_req_body(r), "number", 1, 64, &number, &err);
    if (!st)
        st = qr_card_add(qr_req_ctx(r), qr_req_principal(r), number, &k, &err);
    qr_api_finish(r, st, &err, st ? NULL : card_json(&k), 201);
}

void qr_api_me_cards_list(qr_req_t *r) {
    cards_list(r, NULL);
}

void qr_api_me_cards_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st =
        qr_card_delete(qr_req_ctx(r), qr_req_principal(r), NULL, qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_user_cards_list(qr_req_t *r) {
    cards_list(r, qr_req_param(r, 0));
}

void qr_api_user_cards_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_card_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                    qr_req_param(r, 1), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_users_pin_generate(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_pin_delivery_t how = QR_PIN_NEXT_SIGN_IN;
    qr_status_t st =
        qr_pin_generate_for(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &how, &err);
    qr_api_finish(
        r, st, &err,
        st ? NULL
           : json_pack("{s:s}", "delivery", how == QR_PIN_BY_EMAIL ? "email" : "next_sign_in"),
        202);
}
