#!/usr/bin/env bash
# bench/search.sh - senti-search's methods on the same codes, in one run
# (docs/hash.md): the scan with 8 and 1 queries per pass and multi-index
# hashing with the default and 3 substrings, 10 neighbours, on the 64-bit
# IMDB codes of `make hash CORPUS=imdb` (75000 index rows, 25000 queries)
# and on uniform random 64-bit codes (200000 and 1000000 rows, 2000
# queries; seeded).  Every method's output is checked to be the same bytes.
# CPU time of the searches alone, as senti-search notes it.
set -eu
export LC_ALL=C
B=${SENTI_BIN:?}
top=${SENTI_TOP:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
qps() { sed -n 's/.*(CPU time; \([0-9]*\) queries\/s).*/\1/p' "$1"; }
methods() { # index queries label
    local ref=
    for m in "scan -b 8" "scan -b 1" "mih" "mih -m 3"; do
        # shellcheck disable=SC2086
        "$B/senti-search" -k 10 --method $m -i "$1" "$2" >"$T/out" 2>"$T/note"
        if [ -z "$ref" ]; then cp "$T/out" "$T/ref"; ref=1; else cmp -s "$T/ref" "$T/out" || { echo "search: $3: $m differs from the scan" >&2; exit 1; }; fi
        printf '%-34s %-10s %8s queries/s\n' "$3" "$m" "$(qps "$T/note")"
    done
}
I=$top/results/hash/imdb/B64
if [ -f "$I/idx.codes" ] && [ -f "$I/q.codes" ]; then
    methods "$I/idx.codes" "$I/q.codes" "IMDB codes, 75000 rows"
else
    echo "search: no $I/idx.codes: run make hash CORPUS=imdb for the IMDB figures" >&2
fi
gen() { # rows seed: uniform random 64-bit codes
    awk -v N="$1" -v S="$2" 'BEGIN { srand(S); print "# senti codes bits=64 model=00000000000000aa"
        for (r = 0; r < N; r++) { s = ""; for (d = 0; d < 16; d++) s = s sprintf("%x", int(rand() * 16)); print "1\t" s } }'
}
gen 2000 2 >"$T/q"
for n in 200000 1000000; do
    gen $n 1 >"$T/idx"
    methods "$T/idx" "$T/q" "uniform random codes, $n rows"
done
