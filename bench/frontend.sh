#!/usr/bin/env bash
# bench/frontend.sh - the text front end (senti-tokenize | senti-vocab -k 5000
# | senti-bow) on the IMDB 50k labeled reviews against scikit-learn's
# CountVectorizer(binary=True, max_features=5000).fit_transform, one core
# each (both pinned to the same core with taskset), measured in the same run,
# best of RUNS runs each (default 3; a peer is taken at its best, and so are
# we).  Reports wall seconds, MB/s, documents/s and peak memory per stage and
# end to end, the speed ratio in wall and in CPU time (less sensitive to other
# load on the machine), the memory ratio, and the overlap of the two top-5000
# vocabularies under matching tokenisation.
#
#   SENTI_BIN=$PWD/bin bash bench/frontend.sh
#   IMDB_TSV="a.tsv b.tsv"   use these rating<TAB>text files instead
#   RUNS=5                   runs of each side
set -u
export LC_ALL=C OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
top=${SENTI_TOP:-$(cd "$here/.." && pwd)}
B=${SENTI_BIN:-$top/bin}
RUNS=${RUNS:-3}
bash "$top/pipelines/need-pkgs" python3-sklearn time || exit 1

if [ -n "${IMDB_TSV:-}" ]; then
    read -r -a inputs <<<"$IMDB_TSV"
else
    if [ ! -f "$top/data/imdb/train.tsv" ] && [ -x "$top/corpora/fetch" ]; then
        (cd "$top" && corpora/fetch imdb) || exit 1
    fi
    inputs=("$top/data/imdb/train.tsv" "$top/data/imdb/test.tsv")
fi
for f in "${inputs[@]}"; do
    [ -f "$f" ] || { echo "frontend: no $f (run corpora/fetch imdb or set IMDB_TSV)" >&2; exit 1; }
done

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
cat "${inputs[@]}" >"$W/in.tsv"
bytes=$(wc -c <"$W/in.tsv")
docs=$(grep -vc '^#' "$W/in.tsv")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "input: ${inputs[*]}"
echo "       $docs documents, $mb MB; best of $RUNS runs each, ${pin[*]:-unpinned}"
echo "       load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# timed NAME command...: "wall user+sys peak-KB" appended to $W/NAME.times
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$W/$name.t" "${pin[@]}" "$@" || return 1
    awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$W/$name.t" >>"$W/$name.times"
}
# best NAME: the run with the least wall time: "wall cpu kb"
best() { sort -n "$W/$1.times" | head -n 1; }

# alternate the two sides so that both see the same conditions
for r in $(seq "$RUNS"); do
    timed tok "$B/senti-tokenize" -q "$W/in.tsv" >"$W/tok" || exit 1
    timed voc "$B/senti-vocab" -q -k 5000 "$W/tok" >"$W/voc" || exit 1
    timed bow "$B/senti-bow" -q -v "$W/voc" "$W/tok" >"$W/bow" || exit 1
    paste -d' ' "$W/tok.times" "$W/voc.times" "$W/bow.times" | tail -n 1 |
        awk '{ print $1 + $4 + $7, $2 + $5 + $8, ($3 > $6 ? ($3 > $9 ? $3 : $9) : ($6 > $9 ? $6 : $9)) }' >>"$W/e2e.times"
    timed skl /usr/bin/python3 "$here/frontend_skl.py" "$W/in.tsv" >"$W/skl.out" || exit 1
    # fit_transform alone (wall, cpu) from the script's own clock
    sed -E 's/.*fit_transform ([0-9.]+) cpu ([0-9.]+).*/\1 \2/' "$W/skl.out" |
        awk -v kb="$(cut -d' ' -f4 "$W/skl.t")" '{ print $1, $2, kb }' >>"$W/fit.times"
    echo "  run $r: senti $(tail -n 1 "$W/e2e.times" | cut -d' ' -f1) s, fit_transform $(tail -n 1 "$W/fit.times" | cut -d' ' -f1) s"
done
cat "$W/skl.out"

tokbytes=$(wc -c <"$W/tok")
printf '\n%-24s %8s %8s %9s %10s %9s\n' "stage (best run)" wall cpu MB/s docs/s "peak MB"
row() { # label "wall cpu kb" input-bytes
    set -- "$1" $2 "$3"
    awk -v l="$1" -v s="$2" -v c="$3" -v m="$4" -v b="$5" -v d="$docs" \
        'BEGIN { if (s <= 0) s = 0.01; printf "%-24s %8.2f %8.2f %9.1f %10.0f %9.1f\n", l, s, c, b / 1e6 / s, d / s, m / 1024 }'
}
row "senti-tokenize" "$(best tok)" "$bytes"
row "senti-vocab -k 5000" "$(best voc)" "$tokbytes"
row "senti-bow" "$(best bow)" "$tokbytes"
row "senti end to end" "$(best e2e)" "$bytes"
row "sklearn fit_transform" "$(best fit)" "$bytes"
row "sklearn whole process" "$(best skl)" "$bytes"
set -- $(best e2e) $(best fit) $(best skl)
awk -v o="$1" -v oc="$2" -v om="$3" -v f="$4" -v fc="$5" -v p="$7" -v sm="$9" 'BEGIN {
    printf "\nspeed-up end to end (best runs): %.1fx over fit_transform (CPU time: %.1fx), %.1fx over the whole python process\n", f / o, fc / oc, p / o
    printf "peak memory: senti %.1f MB (largest stage), scikit-learn %.1f MB (%.0fx less)\n", om / 1024, sm / 1024, sm / om }'
echo "all runs (wall s): senti $(cut -d' ' -f1 "$W/e2e.times" | tr '\n' ' ')| fit_transform $(cut -d' ' -f1 "$W/fit.times" | tr '\n' ' ')"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
nnz=$(grep -v '^#' "$W/bow" | awk '{ n += NF - 1 } END { print n }')
echo "senti nnz $nnz (sklearn: $(sed -E 's/.*nnz ([0-9]+).*/\1/' "$W/skl.out"))"

# overlap under matching tokenisation: CountVectorizer's token_pattern
# (?u)\b\w\w+\b on lowercased text
"${pin[@]}" "$B/senti-tokenize" -q --pattern '\b\w\w+\b' "$W/in.tsv" >"$W/tok.m"
"$B/senti-vocab" -q -k 5000 "$W/tok.m" | cut -f1 | sort >"$W/ours.terms"
/usr/bin/python3 "$here/frontend_skl.py" --terms "$W/skl.terms.raw" "$W/in.tsv" >/dev/null
sort "$W/skl.terms.raw" >"$W/skl.terms"
common=$(comm -12 "$W/ours.terms" "$W/skl.terms" | wc -l)
echo "top-5000 overlap with CountVectorizer (token pattern \\b\\w\\w+\\b): $common / 5000"
ourcut=$("$B/senti-vocab" -q -k 5000 "$W/tok.m" | tail -n 1 | cut -f2)
echo "  (df of our 5000th term: $ourcut; terms tied at that df may be cut differently)"
"$B/senti-vocab" -q "$W/tok.m" >"$W/full.m"
comm -3 "$W/ours.terms" "$W/skl.terms" | tr -d '\t' | while read -r t; do
    printf '  differs: %-16s df %s\n' "$t" "$(awk -F'\t' -v t="$t" '$1 == t { print $2; exit }' "$W/full.m")"
done | head -n 20
