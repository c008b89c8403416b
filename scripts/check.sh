#!/usr/bin/env bash
# The whole test run (`make check` calls it after building build/ and build-asan/):
#   1. cmocka unit tests of both trees;
#   2. the end-to-end suites (node --test) against {build, build-asan} x {sqlite, postgres},
#      with a private PostgreSQL started by scripts/pg.sh.
# Prints counts per stage and ends with one line "N passed, N failed[, N skipped]".
# Exit status is non-zero if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

TREES=(${QUIRE_CHECK_TREES:-build build-asan})
UNIT_TIMEOUT=${QUIRE_UNIT_TIMEOUT:-600}
E2E_TIMEOUT=${QUIRE_E2E_TIMEOUT:-1500}

ASAN_ENV=(
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
)

TOTAL_PASS=0
TOTAL_FAIL=0
TOTAL_SKIP=0
SUMMARY=()

WORK=$(mktemp -d "${TMPDIR:-/tmp}/quire-check.XXXXXX")
PG_DIR="$WORK/pg"
PG_STARTED=0

cleanup() {
    if [ "$PG_STARTED" -eq 1 ]; then
        "$ROOT/scripts/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

record() { # stage pass fail skip
    TOTAL_PASS=$((TOTAL_PASS + $2))
    TOTAL_FAIL=$((TOTAL_FAIL + $3))
    TOTAL_SKIP=$((TOTAL_SKIP + $4))
    SUMMARY+=("$(printf '%-28s pass %5d  fail %5d  skipped %4d' "$1" "$2" "$3" "$4")")
}

env_for_tree() { # tree -> prints env assignments, one per line
    case "$(basename "$1")" in
    *asan*) printf '%s\n' "${ASAN_ENV[@]}" ;;
    esac
}

# ---- unit tests -------------------------------------------------------------------------

run_units() { # tree
    local tree=$1 pass=0 fail=0 n=0 bin out rc p f
    local envs=()
    mapfile -t envs < <(env_for_tree "$tree")
    echo "== unit tests: $tree"
    for bin in "$tree"/tests/unit/test_*; do
        [ -f "$bin" ] && [ -x "$bin" ] || continue
        case "$bin" in *.c | *.o | *.d | *.h) continue ;; esac
        n=$((n + 1))
        out="$WORK/unit-${tree//\//_}-$(basename "$bin").log"
        env "${envs[@]}" timeout "$UNIT_TIMEOUT" "$bin" >"$out" 2>&1
        rc=$?
        p=$(grep -aE '^\[  PASSED  \] [0-9]+ test\(s\)\.' "$out" | awk '{s += $4} END {print s + 0}')
        f=$(grep -aE '^\[  FAILED  \] [0-9]+ test\(s\)' "$out" | awk '{s += $4} END {print s + 0}')
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            f=1 # crashed, timed out or failed outside a test
        fi
        pass=$((pass + p))
        fail=$((fail + f))
        if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
            echo "-- $bin: exit $rc, $p passed, $f failed"
            tail -n 60 "$out"
        else
            echo "-- $bin: $p passed"
        fi
    done
    if [ "$n" -eq 0 ]; then
        echo "-- no unit test binaries in $tree/tests/unit (not built?)"
        fail=$((fail + 1))
    fi
    record "unit $tree" "$pass" "$fail" 0
}

# ---- end-to-end -------------------------------------------------------------------------

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

PG_URL=""
start_pg() {
    local port
    port=$(free_port) || return 1
    echo "== starting PostgreSQL on 127.0.0.1:$port"
    PG_STARTED=1
    PG_URL=$("$ROOT/scripts/pg.sh" start "$PG_DIR" "$port") || {
        echo "-- PostgreSQL did not start"
        PG_URL=""
        return 1
    }
}

tap_count() { # file key -> last "# key N" of the top-level summary
    grep -aE "^# $2 [0-9]+\$" "$1" | tail -n 1 | awk '{print $3}'
}

run_e2e() { # tree db
    local tree=$1 db=$2 stage="e2e $1 $2" out rc p f s c
    local envs=()
    mapfile -t envs < <(env_for_tree "$tree")
    echo "== $stage"
    if [ ! -x "$tree/quired" ] || [ ! -x "$tree/quire" ]; then
        echo "-- $tree/quired or $tree/quire is missing (not built?)"
        record "$stage" 0 1 0
        return
    fi
    if [ "$db" = postgres ]; then
        if [ -z "$PG_URL" ]; then
            echo "-- no PostgreSQL server"
            record "$stage" 0 1 0
            return
        fi
        envs+=("QUIRE_TEST_PG_URL=$PG_URL")
    fi
    # A heavy suite (a long browser flow, a conformance run, a big export) says so in its
    # header ("// heavy suite: why") and runs once: on the normal build against PostgreSQL.
    # Every other suite runs in every tree on both databases.
    local files=() t
    for t in tests/e2e/*.test.js; do
        if [ "$tree" != build ] || [ "$db" != postgres ]; then
            head -n 20 "$t" | grep -q '^// heavy suite:' && continue
        fi
        files+=("$t")
    done
    if [ ${#files[@]} -eq 0 ] || [ ! -e "${files[0]}" ]; then
        echo "-- no tests/e2e/*.test.js"
        record "$stage" 0 1 0
        return
    fi
    out="$WORK/e2e-${tree//\//_}-$db.tap"
    env -u QUIRE_TEST_PG_URL "${envs[@]}" QUIRE_BIN_DIR="$tree" \
        timeout -k 10 "$E2E_TIMEOUT" node --test --test-reporter=tap "${files[@]}" >"$out" 2>&1
    rc=$?
    p=$(tap_count "$out" pass)
    f=$(tap_count "$out" fail)
    s=$(tap_count "$out" skipped)
    c=$(tap_count "$out" cancelled)
    p=${p:-0}
    s=${s:-0}
    c=${c:-0}
    if [ -z "$f" ]; then
        echo "-- no TAP summary (exit $rc)"
        f=1
    fi
    f=$((f + c))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    if [ "$f" -ne 0 ]; then
        # The failing tests with their diagnostics, then the tail (summary, crash output).
        awk '/^ *not ok /{p=1} p{print} p && /^ *\.\.\.$/{p=0}' "$out" | head -n 2000
        echo "-- tail of the TAP output:"
        tail -n 40 "$out"
    else
        grep -aE '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$out" | tail -n 8
    fi
    echo "-- $stage: exit $rc, $p passed, $f failed, $s skipped"
    record "$stage" "$p" "$f" "$s"
}

for tree in "${TREES[@]}"; do
    run_units "$tree"
done

start_pg || true
for tree in "${TREES[@]}"; do
    for db in sqlite postgres; do
        run_e2e "$tree" "$db"
    done
done

echo
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
line="$TOTAL_PASS passed, $TOTAL_FAIL failed"
if [ "$TOTAL_SKIP" -gt 0 ]; then
    line="$line, $TOTAL_SKIP skipped"
fi
echo "$line"
[ "$TOTAL_FAIL" -eq 0 ]
