#!/usr/bin/env bash
# The size rule of docs/architecture.md: no function in src/ is longer than 120 lines or has a
# cyclomatic complexity over 30 (pmccabe's count) unless the comment right above it says why,
# in a sentence that begins "Kept whole:". Prints each function that breaks the rule and
# exits 1 if any does.
set -uo pipefail
cd "$(dirname "$0")/.."

MAX_LINES=${QUIRE_MAX_LINES:-120}
MAX_CC=${QUIRE_MAX_CC:-30}

if ! command -v pmccabe >/dev/null 2>&1; then
    echo "complexity: pmccabe is missing (scripts/deps.sh installs it)" >&2
    exit 1
fi

bad=0
while read -r cc _ _ first nlines where; do
    [ "$cc" -gt "$MAX_CC" ] || [ "$nlines" -gt "$MAX_LINES" ] || continue
    file=${where%%(*}
    name=${where##*: }
    # The comment block that ends on the line before the function's first line (or before
    # its return-type line when the name stands on a line of its own).
    if awk -v first="$first" '
        NR < first - 40 { next }
        NR >= first { exit }
        /\/\*/ { block = "" ; inblock = 1 }
        inblock { block = block $0 "\n" }
        /\*\// { inblock = 0; last = block; lastend = NR }
        END { exit !(lastend >= first - 2 && last ~ /Kept whole:/) }
    ' "$file"; then
        continue
    fi
    echo "$file:$first: $name: complexity $cc, $nlines lines (limits $MAX_CC and $MAX_LINES): split it, or say why in a \"Kept whole:\" comment"
    bad=$((bad + 1))
done < <(pmccabe $(find src -name '*.c') 2>/dev/null)

if [ "$bad" -gt 0 ]; then
    echo "complexity: $bad function(s) over the limits without a reason"
    exit 1
fi
echo "complexity: every function is within $MAX_LINES lines and complexity $MAX_CC, or says why"
