/* SPDX-License-Identifier: Apache-2.0 */
/* quire: indexing (CAP-3). A document class has typed attributes (text, number, date, list);
 * index values come from the user at the panel, from barcodes, or from rules (one regular
 * expression per attribute, ICU syntax, bounded in time) applied to the recognized text. */
#ifndef QR_INDEX_H
#define QR_INDEX_H

#include <jansson.h>

#include "core/error.h"

#define QR_INDEX_MAX_ATTRS 50        /* attributes per class */
#define QR_INDEX_MAX_LIST 200        /* values of a list attribute */
#define QR_INDEX_MAX_TEXT 1000       /* bytes of a text value */
#define QR_INDEX_MAX_RULES 50        /* rules per workflow */
#define QR_INDEX_MAX_PATTERN 1000    /* bytes of a rule's pattern */
#define QR_INDEX_RULE_TIME_LIMIT 200 /* ICU regex time limit per match (about milliseconds) */

/* Checks a class's attribute list ([{name, type, required, values}]) and returns a new,
 * normalized copy in *out (required defaults to false; values only for lists). */
qr_status_t qr_index_check_attributes(json_t *attrs, json_t **out, qr_err_t *err);

/* Checks index values (an object: attribute name -> value) against a class's attributes and
 * returns the normalized values in *out (numbers as JSON numbers, dates "YYYY-MM-DD").
 * Unknown attributes and invalid values are refused, naming the attribute and the rule.
 * Required attributes missing from values are refused unless their name is a key of
 * filled_later (attributes a rule or barcode will fill; may be NULL). */
qr_status_t qr_index_check_values(const json_t *attrs, json_t *values, const json_t *filled_later,
                                  json_t **out, qr_err_t *err);

/* Checks a workflow's rules ([{attribute, source: "text"|"barcode", pattern}]) against the
 * class's attributes (each pattern must compile) and returns a normalized copy in *out. */
qr_status_t qr_index_check_rules(const json_t *attrs, json_t *rules, json_t **out, qr_err_t *err);

/* Applies rules to the recognized text and the barcodes ([{page, type, data}]) and sets the
 * attributes of values (an object, changed in place) that are still empty: the first match
 * wins; a rule's value is its pattern's first capture group, or the whole match. A value that
 * does not fit its attribute's type is skipped. Returns how many values it set. */
int qr_index_apply_rules(const json_t *attrs, const json_t *rules, const char *text,
                         const json_t *barcodes, json_t *values);

#endif
