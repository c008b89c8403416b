/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the table of destination kinds (see connector.h). */
#include "scan/connector.h"

#include <string.h>

static const qr_connector_t *const connectors[] = {&qr_connector_webdav};

const qr_connector_t *qr_connector_find(const char *kind) {
    if (!kind)
        return NULL;
    for (size_t i = 0; i < sizeof(connectors) / sizeof(connectors[0]); i++)
        if (strcmp(connectors[i]->kind, kind) == 0)
            return connectors[i];
    return NULL;
}
