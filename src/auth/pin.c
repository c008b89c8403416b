/* SPDX-License-Identifier: Apache-2.0 */
/* quire: PINs and cards. */
#include "auth/pin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/login.h"
#include "core/buf.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "core/mail.h"
#include "tenancy/org.h"
#include "tenancy/user.h"
#include "tenancy/region.h"

#define MAX_PARAMS 16

/* HMAC lookup key of a secret in an org, as hex. */
static void lookup(const qr_ctx_t *ctx, const char *org_id, const char *kind, const char *secret,
                   char out[65]) {
    char *msg = qr_xasprintf("%s:%s:%s", org_id, kind, secret);
    unsigned char mac[32];
    qr_hmac_sha256(ctx->keys->secret_lookup, QR_KEY_LEN, msg, strlen(msg), mac);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    memset(msg, 0, strlen(msg));
    free(msg);
}

/* The org's PIN settings: mode and allowed lengths (bit n set: length n allowed), the org's
 * own intersected with its region's rule (TEN-7, applied at once). */
static qr_status_t pin_policy(qr_dbc_t *c, const char *org_id, int *pin_only, unsigned *lengths) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, "SELECT pin_mode, pin_lengths FROM orgs WHERE id = ?",
                             QR_TEXT(org_id));
    *pin_only = 0;
    *lengths = 0;
    if (!st && qr_dbres_rows(r) == 1) {
        *pin_only = strcmp(qr_dbres_text(r, 0, 0), "pin_only") == 0;
        json_t *a = json_loads(qr_dbres_text(r, 0, 1), 0, NULL);
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v) {
            if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 16)
                *lengths |= 1u << json_integer_value(v);
        }
        json_decref(a);
    }
    qr_dbres_free(r);
    if (!st)
        st = qr_region_pin_lengths(c, org_id, *lengths, lengths);
    return st;
}

static char *random_pin(unsigned lengths) {
    int len = 8;
    for (int n = 15; n > 0; n--)
        if (lengths & (1u << n)) {
            len = n; /* the longest allowed: the most guesses an attacker needs */
            break;
        }
    char *pin = qr_xmalloc((size_t)len + 1);
    for (int i = 0; i < len; i++) {
        uint32_t v;
        do {
            qr_random_bytes(&v, sizeof(v));
        } while (v >= 4294967290u);
        pin[i] = (char)('0' + v % 10);
    }
    pin[len] = '\0';
    return pin;
}

qr_status_t qr_pin_set(qr_ctx_t *ctx, const qr_principal_t *p, const char *pin, char **shown,
                       qr_err_t *err) {
    *shown = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    int pin_only;
    unsigned lengths;
    char *chosen = NULL, *sealed = NULL, key[65];
    qr_status_t st = pin_policy(c, p->org_id, &pin_only, &lengths);
    if (st)
        goto out;
    if (pin && pin_only) {
        st = qr_err_set(err, QR_E_INVALID, "invalid_pin",
                        "your organization generates every PIN: leave 'pin' out to get one");
        goto out;
    }
    if (pin) {
        size_t n = strlen(pin);
        if (n >= 16 || !(lengths & (1u << n)) || strspn(pin, "0123456789") != n) {
            char allowed[48];
            qr_pin_lengths_text(lengths, allowed, sizeof(allowed));
            st = qr_err_set(err, QR_E_INVALID, "invalid_pin",
                            "a PIN is digits only, of a length your organization allows: %s "
                            "digits",
                            allowed);
            goto out;
        }
        chosen = qr_xstrdup(pin);
    } else {
        /* In pin_only mode the PIN must identify one user: draw until it is unused. */
        for (int tries = 0; tries < 100; tries++) {
            free(chosen);
            chosen = random_pin(lengths);
            lookup(ctx, p->org_id, "pin", chosen, key);
            qr_dbres_t *r = NULL;
            st = qr_db_q(c, &r, NULL,
                         "SELECT 1 FROM users WHERE org_id = ? AND pin_lookup = ? AND id <> ?",
                         QR_TEXT(p->org_id), QR_TEXT(key), QR_TEXT(p->user_id));
            int taken = qr_dbres_rows(r) > 0;
            qr_dbres_free(r);
            if (st || !pin_only || !taken)
                break;
            if (tries == 99)
                st = qr_err_set(err, QR_E_CONFLICT, NULL,
                                "no unused PIN could be drawn: allow longer PINs for this "
                                "organization");
        }
    }
    if (st)
        goto out;
    lookup(ctx, p->org_id, "pin", chosen, key);
    sealed = qr_aead_seal(ctx->keys->secret_seal, p->user_id, chosen, strlen(chosen));
    if (!sealed) {
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "could not seal the PIN");
        goto out;
    }
    st = qr_db_q(c, NULL, NULL,
                 "UPDATE users SET pin_lookup = ?, pin_sealed = ?, pin_pending = 0, updated_at = ? "
                 "WHERE id = ? AND org_id = ?",
                 QR_TEXT(key), QR_TEXT(sealed), QR_INT(now), QR_TEXT(p->user_id),
                 QR_TEXT(p->org_id));
    if (!st) {
        qr_audit_write(c, now, p->org_id, p->user_id, "pin_set", p->user_id,
                       pin ? "chosen" : "generated");
        *shown = chosen;
        chosen = NULL;
    }
out:
    if (chosen) {
        memset(chosen, 0, strlen(chosen));
        free(chosen);
    }
    free(sealed);
    qr_db_release(c);
    return st;
}

qr_status_t qr_pin_get(qr_ctx_t *ctx, const qr_principal_t *p, char **pin, int *pending,
                       qr_err_t *err) {
    *pin = NULL;
    if (pending)
        *pending = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(
        c, &r, NULL, "SELECT pin_sealed, pin_pending FROM users WHERE id = ? AND org_id = ?",
        QR_TEXT(p->user_id), QR_TEXT(p->org_id));
    size_t n = 0;
    if (!st && (qr_dbres_rows(r) != 1 || qr_dbres_isnull(r, 0, 0)))
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "you have no PIN yet");
    else if (!st && !(*pin = (char *)qr_aead_open(ctx->keys->secret_seal, p->user_id,
                                                  qr_dbres_text(r, 0, 0), &n)))
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "the PIN cannot be opened");
    /* An admin-generated PIN is delivered by this read: it is new once. */
    long long cleared = 0;
    if (!st && qr_dbres_int(r, 0, 1) != 0 &&
        (st = qr_db_q(c, NULL, &cleared,
                      "UPDATE users SET pin_pending = 0 WHERE id = ? AND org_id = ? AND "
                      "pin_pending = 1",
                      QR_TEXT(p->user_id), QR_TEXT(p->org_id))) == QR_OK &&
        cleared == 1) {
        qr_audit_write(c, qr_clock_now(ctx->clock), p->org_id, p->user_id, "pin_delivered",
                       p->user_id, "next_sign_in");
        if (pending)
            *pending = 1;
    }
    if (st && *pin) {
        memset(*pin, 0, strlen(*pin));
        free(*pin);
        *pin = NULL;
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

/* Draws a PIN for user_id of org_id under the org's rules (unused in the org in pin_only
 * mode) into *out (caller wipes and frees). */
static qr_status_t draw_for(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *user_id,
                            char **out, qr_err_t *err) {
    int pin_only;
    unsigned lengths;
    char key[65];
    *out = NULL;
    qr_status_t st = pin_policy(c, org_id, &pin_only, &lengths);
    for (int tries = 0; !st && tries < 100; tries++) {
        char *pin = random_pin(lengths);
        lookup(ctx, org_id, "pin", pin, key);
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL,
                     "SELECT 1 FROM users WHERE org_id = ? AND pin_lookup = ? AND id <> ?",
                     QR_TEXT(org_id), QR_TEXT(key), QR_TEXT(user_id));
        int taken = pin_only && qr_dbres_rows(r) > 0;
        qr_dbres_free(r);
        if (!st && !taken) {
            *out = pin;
            return QR_OK;
        }
        memset(pin, 0, strlen(pin));
        free(pin);
    }
    return st ? st
              : qr_err_set(err, QR_E_CONFLICT, NULL,
                           "no unused PIN could be drawn: allow longer PINs for this "
                           "organization");
}

/* Queues the mail that gives user u of org_id its new PIN. */
static qr_status_t mail_pin(qr_ctx_t *ctx, qr_dbc_t *c, const qr_user_t *u, const char *pin) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, "SELECT name FROM orgs WHERE id = ?", QR_TEXT(u->org_id));
    if (st || qr_dbres_rows(r) != 1) {
        qr_dbres_free(r);
        return st ? st : QR_E_NOT_FOUND;
    }
    const char *org = qr_dbres_text(r, 0, 0);
    char *text = qr_xasprintf("An administrator of %s had a new PIN made for your quire account "
                              "\"%s\".\n\nYour PIN: %s\n\nUse it to sign in at the printers' "
                              "panels; it replaces your previous PIN. You can see it again or "
                              "change it on the PIN page of the portal. Nobody else was shown "
                              "it.\n",
                              org, u->username, pin);
    /* The HTML part holds no name (nothing to escape): the PIN is digits. */
    char *html = qr_xasprintf("<!DOCTYPE html><html><body><p>An administrator had a new PIN made "
                              "for your quire account.</p><p>Your PIN: <strong>%s</strong></p>"
                              "<p>Use it to sign in at the printers' panels; it replaces your "
                              "previous PIN. Nobody else was shown it.</p></body></html>",
                              pin);
    st = qr_mailer_post(ctx->mailer, org, u->email, "Your new quire PIN", text, html);
    memset(text, 0, strlen(text));
    memset(html, 0, strlen(html));
    free(text);
    free(html);
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_pin_generate_for(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                                qr_pin_delivery_t *delivery, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_user_t u;
    qr_org_ref_t ref;
    char *pin = NULL, *sealed = NULL, key[65];
    qr_status_t st = qr__user_resolve(c, p, user_id, QR_ACCESS_WRITE, now, &u, &ref, err);
    if (st || (st = draw_for(ctx, c, ref.id, u.id, &pin, err)))
        goto out;
    lookup(ctx, ref.id, "pin", pin, key);
    if (!(sealed = qr_aead_seal(ctx->keys->secret_seal, u.id, pin, strlen(pin)))) {
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "could not seal the PIN");
        goto out;
    }
    *delivery = *u.email && qr_mail_enabled(ctx->cfg) ? QR_PIN_BY_EMAIL : QR_PIN_NEXT_SIGN_IN;
    const char *how = *delivery == QR_PIN_BY_EMAIL ? "email" : "next_sign_in";
    if ((st = qr_dbc_begin(c)))
        goto out;
    st = qr_db_q(c, NULL, NULL,
                 "UPDATE users SET pin_lookup = ?, pin_sealed = ?, pin_pending = ?, updated_at = ? "
                 "WHERE id = ? AND org_id = ?",
                 QR_TEXT(key), QR_TEXT(sealed), QR_INT(*delivery == QR_PIN_NEXT_SIGN_IN),
                 QR_INT(now), QR_TEXT(u.id), QR_TEXT(ref.id));
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "pin_generated", u.id, how);
    /* The mail is queued before the commit: a full queue changes nothing. */
    if (!st && *delivery == QR_PIN_BY_EMAIL && (st = mail_pin(ctx, c, &u, pin)))
        qr_err_set(err, st, NULL, "the mail queue is full; try again soon");
    if (!st)
        st = qr_dbc_commit(c);
out:
    if (pin) {
        memset(pin, 0, strlen(pin));
        free(pin);
    }
    free(sealed);
    qr_user_clear(&u);
    qr_db_release(c);
    return st;
}

/* The active, unlocked user of org_id whose secret has lookup key (a PIN in pin_only mode, a
 * card), by sql with the parameters org_id, key and now; else invalid_credentials with
 * wrong as the message. */
static qr_status_t find_holder(qr_dbc_t *c, const char *sql, const char *org_id, const char *key,
                               int64_t now, char uid[33], const char *wrong, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, sql, QR_TEXT(org_id), QR_TEXT(key), QR_INT(now));
    int ok = !st && qr_dbres_rows(r) == 1;
    if (ok)
        snprintf(uid, 33, "%s", qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    return st   ? st
           : ok ? QR_OK
                : qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials", "%s", wrong);
}

qr_status_t qr_pin_login(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *username,
                         const char *pin, int64_t now, char uid[33], qr_err_t *err) {
    char key[65];
    lookup(ctx, org_id, "pin", pin, key);
    int pin_only;
    unsigned lengths;
    qr_dbres_t *r = NULL;
    qr_status_t st = pin_policy(c, org_id, &pin_only, &lengths);
    if (st)
        return st;
    if (pin_only)
        return find_holder(c,
                           "SELECT id FROM users WHERE org_id = ? AND pin_lookup = ? AND "
                           "active = 1 AND (locked_until IS NULL OR locked_until <= ?)",
                           org_id, key, now, uid, "the PIN is wrong", err);
    if (!username)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "this organization signs in with username and "
                          "PIN: 'username' is required");
    char *name_key = qr_user_name_key(username);
    st = qr_db_q(c, &r, NULL,
                 "SELECT u.id, u.pin_lookup, u.active FROM users u WHERE u.org_id = ? "
                 "AND " QR_USER_NAME_MATCH,
                 QR_TEXT(org_id), QR_TEXT(username), QR_TEXT(name_key), QR_TEXT(username));
    free(name_key);
    if (st || qr_dbres_rows(r) != 1) {
        qr_dbres_free(r);
        return st ? st
                  : qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials",
                               "the username or PIN is wrong, or the account is locked");
    }
    snprintf(uid, 33, "%s", qr_dbres_text(r, 0, 0));
    const char *stored = qr_dbres_text(r, 0, 1);
    int right =
        stored && strlen(stored) == 64 && qr_ct_equal(stored, key, 64) && qr_dbres_int(r, 0, 2);
    qr_dbres_free(r);
    /* A PIN entry is a password entry for the lockout (AUTH-5). */
    int locked_now = 0;
    int claimed = qr_login_claim(c, uid, now, &locked_now);
    if (claimed < 0)
        return QR_E_DB;
    if (claimed && right) {
        qr_login_clear(c, uid);
        return QR_OK;
    }
    if (claimed)
        qr_login_failed(c, uid, org_id, "wrong PIN at a device", locked_now, now);
    if (locked_now)
        qr_metrics_inc(ctx->metrics, accounts_locked);
    return qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials",
                      "the username or PIN is wrong, or the account is locked");
}

qr_status_t qr_card_login(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *card,
                          int64_t now, char uid[33], qr_err_t *err) {
    char key[65];
    lookup(ctx, org_id, "card", card, key);
    return find_holder(c,
                       "SELECT k.user_id FROM cards k JOIN users u ON u.id = k.user_id "
                       "WHERE k.org_id = ? AND k.lookup = ? AND u.active = 1 AND "
                       "(u.locked_until IS NULL OR u.locked_until <= ?)",
                       org_id, key, now, uid, "the card is not registered", err);
}

static int card_ok(const char *card) {
    size_t n = strlen(card);
    return n >= 4 && n <= 64 &&
           strspn(card, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

qr_status_t qr_card_add(qr_ctx_t *ctx, const qr_principal_t *p, const char *card, qr_card_t *out,
                        qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (!p->device_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "a card is registered at a device's panel, after logging in there");
    if (!card_ok(card))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "a card number is 4 to 64 letters and digits as the reader gives it");
    int64_t now = qr_clock_now(ctx->clock);
    char key[65], id[QR_ID_LEN + 1];
    lookup(ctx, p->org_id, "card", card, key);
    qr_random_id(id);
    char *sealed = qr_aead_seal(ctx->keys->secret_seal, id, card, strlen(card));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        sealed ? qr_db_q(c, NULL, NULL,
                         "INSERT INTO cards (id, org_id, user_id, lookup, sealed, "
                         "last4, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id), QR_TEXT(key),
                         QR_TEXT(sealed), QR_TEXT(card + strlen(card) - 4), QR_INT(now))
               : QR_E_CRYPTO;
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "this card is already registered");
    if (!st) {
        qr_audit_write(c, now, p->org_id, p->user_id, "card_registered", id, p->device_id);
        memcpy(out->id, id, sizeof(id));
        snprintf(out->user_id, sizeof(out->user_id), "%s", p->user_id);
        snprintf(out->number, sizeof(out->number), "****%s", card + strlen(card) - 4);
        out->created_at = now;
    }
    free(sealed);
    qr_db_release(c);
    return st;
}

/* The user whose cards are meant: the principal, or a user the principal administers. */
static qr_status_t card_owner(qr_dbc_t *c, const qr_principal_t *p, const char *user_id,
                              char owner[33], qr_err_t *err) {
    if (!user_id || strcmp(user_id, p->user_id) == 0) {
        snprintf(owner, 33, "%s", p->user_id);
        return QR_OK;
    }
    if (!qr_id_is_valid(user_id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, "SELECT org_id FROM users WHERE id = ? AND org_id = ?",
                             QR_TEXT(user_id), QR_TEXT(p->org_id));
    int found = !st && qr_dbres_rows(r) == 1;
    qr_dbres_free(r);
    qr_org_ref_t ref;
    if (!st && (!found ||
                qr_org_resolve(c, p, p->org_id, QR_RES_USERS, QR_ACCESS_WRITE, &ref, err) != QR_OK))
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    if (!st)
        snprintf(owner, 33, "%s", user_id);
    return st;
}

#define CARD_COLUMNS "id, user_id, last4, created_at"

/* Row i of a result selected with CARD_COLUMNS. */
static void card_from_row(const qr_dbres_t *r, int i, qr_card_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    snprintf(out->user_id, sizeof(out->user_id), "%s", qr_dbres_text(r, i, 1));
    snprintf(out->number, sizeof(out->number), "****%s", qr_dbres_text(r, i, 2));
    out->created_at = qr_dbres_int(r, i, 3);
}

qr_status_t qr_card_list_read(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                              qr_card_t **items, size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char owner[33];
    qr_dbres_t *r = NULL;
    qr_status_t st = card_owner(c, p, user_id, owner, err);
    if (!st)
        st = qr_db_q(c, &r, NULL,
                     "SELECT " CARD_COLUMNS " FROM cards WHERE user_id = ? AND org_id = ? "
                     "ORDER BY created_at, id",
                     QR_TEXT(owner), QR_TEXT(p->org_id));
    if (!st && qr_dbres_rows(r) > 0) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            card_from_row(r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_card_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                           const char *card_id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char owner[33];
    long long changed = 0;
    qr_status_t st = card_owner(c, p, user_id, owner, err);
    if (!st)
        st = qr_db_q(c, NULL, &changed,
                     "DELETE FROM cards WHERE id = ? AND user_id = ? AND org_id = ?",
                     QR_TEXT(card_id), QR_TEXT(owner), QR_TEXT(p->org_id));
    if (!st && changed != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "card not found");
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "card_deleted", card_id, owner);
    qr_db_release(c);
    return st;
}
