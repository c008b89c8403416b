#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# quire API key example (REP-5): get a token with the OAuth 2.0 client credentials grant, list
# the organization's users, and page through its job log. Needs curl and jq.
#
#   QUIRE_URL=https://print.example.com \
#   QUIRE_CLIENT_ID=... QUIRE_CLIENT_SECRET=... QUIRE_ORG_ID=... sh api-key.sh
#
# Optional: QUIRE_CACERT (a CA file for a private certificate), QUIRE_PAGE_SIZE (1..1000,
# default 100). The API key is created by a customer admin with
#   POST /api/v1/orgs/{org}/clients {"name": "...", "scopes": ["users:read", "joblog:read"]}
# and its client_secret is shown only in that answer. Output: tab-separated lines.
set -eu

: "${QUIRE_URL:?set QUIRE_URL to the server's address, https://...}"
: "${QUIRE_CLIENT_ID:?set QUIRE_CLIENT_ID to the API key's client_id}"
: "${QUIRE_CLIENT_SECRET:?set QUIRE_CLIENT_SECRET to the API key's client_secret}"
: "${QUIRE_ORG_ID:?set QUIRE_ORG_ID to the organization's id}"

api() {
    if [ -n "${QUIRE_CACERT:-}" ]; then
        curl -sS --fail-with-body --cacert "$QUIRE_CACERT" "$@"
    else
        curl -sS --fail-with-body "$@"
    fi
}

# 1. An access token (15 minutes) for both scopes; ask for fewer with scope=users:read.
token=$(api -u "$QUIRE_CLIENT_ID:$QUIRE_CLIENT_SECRET" -d grant_type=client_credentials \
    --data-urlencode "scope=users:read joblog:read" "$QUIRE_URL/oauth/token" |
    jq -r .access_token)
auth="Authorization: Bearer $token"

# 2. The organization's users: id, username, role, active.
echo "# users"
api -H "$auth" "$QUIRE_URL/api/v1/orgs/$QUIRE_ORG_ID/users" |
    jq -r '.items[] | [.id, .username, .role, .active] | @tsv'

# 3. The job log, newest first, page by page: time, device, user, job type, pages, copies.
#    A page's "next" (when the server pages by cursor) is passed back as "after".
echo "# job log"
after=""
while :; do
    page=$(api -H "$auth" \
        "$QUIRE_URL/api/v1/orgs/$QUIRE_ORG_ID/log?limit=${QUIRE_PAGE_SIZE:-100}${after:+&after=$after}")
    echo "$page" | jq -r '.items[] | [.time, (.device_serial // .device_id),
        (.username // "-"), .type, .pages, .copies] | @tsv'
    after=$(echo "$page" | jq -r '.next // empty')
    [ -n "$after" ] || break
done
