-- SPDX-License-Identifier: Apache-2.0
-- wrk script: POST /api/v1/auth/login with a valid JSON body, over and over. Every request
-- is a successful login, so its cost is one Argon2id verification plus a session insert.
-- run.sh passes the body (built with jq, so the password is escaped correctly) in
-- QUIRE_BENCH_LOGIN_BODY and this directory in QUIRE_BENCH_DIR.
wrk.method = "POST"
wrk.path = "/api/v1/auth/login"
wrk.body = os.getenv("QUIRE_BENCH_LOGIN_BODY")
wrk.headers["Content-Type"] = "application/json"
assert(wrk.body and #wrk.body > 0, "QUIRE_BENCH_LOGIN_BODY is not set")

dofile((os.getenv("QUIRE_BENCH_DIR") or "bench") .. "/stats.lua")
