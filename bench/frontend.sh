#!/usr/bin/env bash
# bench/frontend.sh - the text front end (senti-tokenize | senti-vocab -k 5000
# | senti-bow) on the IMDB 50k labeled reviews against scikit-learn's
# CountVectorizer(binary=True, max_features=5000).fit_transform, one core
# each, measured in the same run.  Reports seconds, MB/s, documents/s and
# peak memory per stage and end to end, the speed and memory ratios, and the
# overlap of the two top-5000 vocabularies under matching tokenisation.
#
#   SENTI_BIN=$PWD/bin bash bench/frontend.sh
#   IMDB_TSV="a.tsv b.tsv"   use these rating<TAB>text files instead
set -u
export LC_ALL=C OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
top=${SENTI_TOP:-$(cd "$here/.." && pwd)}
B=${SENTI_BIN:-$top/bin}
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
echo "       $docs documents, $mb MB"

# timed NAME command...: wall seconds and peak RSS (KB) into $W/NAME.time
timed() {
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$W/$name.time" "${pin[@]}" "$@"
}
secs() { cut -d' ' -f1 "$W/$1.time"; }
rss() { cut -d' ' -f2 "$W/$1.time"; }

timed tok "$B/senti-tokenize" -q "$W/in.tsv" >"$W/tok" || exit 1
timed voc "$B/senti-vocab" -q -k 5000 "$W/tok" >"$W/voc" || exit 1
timed bow "$B/senti-bow" -q -v "$W/voc" "$W/tok" >"$W/bow" || exit 1
timed skl /usr/bin/python3 "$here/frontend_skl.py" "$W/in.tsv" >"$W/skl.out" || exit 1
cat "$W/skl.out"

tokbytes=$(wc -c <"$W/tok")
printf '\n%-22s %8s %9s %10s %9s\n' stage seconds MB/s docs/s "peak MB"
row() { # label seconds input-bytes rss-kb
    awk -v l="$1" -v s="$2" -v b="$3" -v d="$docs" -v m="$4" \
        'BEGIN { if (s <= 0) s = 0.01; printf "%-22s %8.2f %9.1f %10.0f %9.1f\n", l, s, b / 1e6 / s, d / s, m / 1024 }'
}
row "senti-tokenize" "$(secs tok)" "$bytes" "$(rss tok)"
row "senti-vocab -k 5000" "$(secs voc)" "$tokbytes" "$(rss voc)"
row "senti-bow" "$(secs bow)" "$tokbytes" "$(rss bow)"
ours=$(awk -v a="$(secs tok)" -v b="$(secs voc)" -v c="$(secs bow)" 'BEGIN { print a + b + c }')
ourmem=$(printf '%s\n' "$(rss tok)" "$(rss voc)" "$(rss bow)" | sort -n | tail -n 1)
row "senti end to end" "$ours" "$bytes" "$ourmem"
fit=$(sed -E 's/.*fit_transform ([0-9.]+).*/\1/' "$W/skl.out")
row "sklearn fit_transform" "$fit" "$bytes" "$(rss skl)"
row "sklearn whole process" "$(secs skl)" "$bytes" "$(rss skl)"
awk -v o="$ours" -v f="$fit" -v p="$(secs skl)" -v om="$ourmem" -v sm="$(rss skl)" 'BEGIN {
    printf "\nspeed-up end to end: %.1fx over fit_transform, %.1fx over the whole python process\n", f / o, p / o
    printf "peak memory: senti %.1f MB, scikit-learn %.1f MB (%.0fx less)\n", om / 1024, sm / 1024, sm / om }'
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
