-- SPDX-License-Identifier: Apache-2.0
-- wrk script: POST the same application/x-www-form-urlencoded body over and over, to the path
-- of the URL given to wrk (oauth.sh: the token and introspection endpoints of quired and of
-- oidc-provider). Client authentication (HTTP Basic) comes as a -H header. oauth.sh passes
-- the body in QUIRE_BENCH_FORM_BODY and this directory in QUIRE_BENCH_DIR.
wrk.method = "POST"
wrk.body = os.getenv("QUIRE_BENCH_FORM_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
assert(wrk.body and #wrk.body > 0, "QUIRE_BENCH_FORM_BODY is not set")

dofile((os.getenv("QUIRE_BENCH_DIR") or "bench") .. "/stats.lua")
