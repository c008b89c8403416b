/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the set-up shared by the unit tests that open a whole context: a private
 * temporary data directory with its SQLite database, cheap Argon2id, quiet logs. */
#ifndef QR_TEST_FIXTURE_H
#define QR_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

/* Creates the data directory from tmpl (mkdtemp: it ends in XXXXXX and is rewritten) and
 * points the configuration at it. Returns 0, or -1 if the directory cannot be made. */
static inline int fixture_env(char *tmpl) {
    if (!mkdtemp(tmpl))
        return -1;
    setenv("QUIRE_DATA_DIR", tmpl, 1);
    setenv("QUIRE_ARGON2_MEMORY_KIB", "256", 1);
    setenv("QUIRE_ARGON2_ITERATIONS", "1", 1);
    setenv("QUIRE_LOG_LEVEL", "error", 1);
    unsetenv("QUIRE_DATABASE");
    return 0;
}

/* Removes the data directory and everything in it. Returns system()'s status. */
static inline int fixture_remove(const char *dir) {
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

#endif
