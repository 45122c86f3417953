#!/usr/bin/env bash
# bench/predict_text.sh - raw-text prediction: `senti-predict -m BUNDLE` (a
# bundle of senti-bundle: tokenizer, vocabulary of 5000 terms, network)
# against `fasttext predict MODEL -` (Debian's fastText, a supervised model
# of the same training reviews), on the 25,000 IMDB test reviews, both on one
# core (taskset), best of RUNS runs each (default 3), alternating, in the
# same run.  Reports reviews/s of each and the ratio; both read the reviews
# as raw text lines and write one prediction per line.
#
#   SENTI_BIN=$PWD/bin bash bench/predict_text.sh
#   IMDB_TRAIN=a.tsv IMDB_TEST=b.tsv   other rating<TAB>text files
#   HIDDEN=256                         a hidden layer in the senti network [none]
set -u
export LC_ALL=C OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
top=${SENTI_TOP:-$(cd "$here/.." && pwd)}
B=${SENTI_BIN:-$top/bin}
RUNS=${RUNS:-3}
HIDDEN=${HIDDEN:-}
bash "$top/pipelines/need-pkgs" fasttext time || exit 1
train=${IMDB_TRAIN:-$top/data/imdb/train.tsv}
test=${IMDB_TEST:-$top/data/imdb/test.tsv}
if [ ! -f "$train" ] && [ -z "${IMDB_TRAIN:-}" ]; then (cd "$top" && corpora/fetch imdb) || exit 1; fi
for f in "$train" "$test"; do [ -f "$f" ] || { echo "predict_text: no $f" >&2; exit 1; }; done

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# models: senti (tokenize | vocab | bow | train | bundle) and fastText
grep -v $'^?\t' "$train" | grep -v '^#' >"$W/train.tsv"
"$B/senti-tokenize" -q "$W/train.tsv" >"$W/train.tok"
"$B/senti-vocab" -q -k 5000 "$W/train.tok" >"$W/voc"
"$B/senti-bow" -q -v "$W/voc" "$W/train.tok" >"$W/train.svm"
"$B/senti-train" -q ${HIDDEN:+-H "$HIDDEN"} -E 10 -o "$W/net.m" "$W/train.svm" || exit 1
"$B/senti-bundle" -q -o "$W/bundle.m" "$W/net.m" "$W/voc" || exit 1
awk -F'\t' '{ print "__label__" $1 " " $2 }' "$W/train.tok" >"$W/train.ft"
fasttext supervised -input "$W/train.ft" -output "$W/ft" -epoch 5 -wordNgrams 1 -thread 1 -verbose 0 || exit 1

grep -v '^#' "$test" | cut -f2 >"$W/test.txt"
n=$(wc -l <"$W/test.txt")
mb=$(awk -v b="$(wc -c <"$W/test.txt")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "input: $test: $n reviews, $mb MB of raw text; best of $RUNS runs each, ${pin[*]:-unpinned}"
echo "       senti: bundle of $(wc -l <"$W/voc") terms, ${HIDDEN:-no} hidden units; fastText: -epoch 5, unigrams, dim 100"
echo "       load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

timed() { # NAME command...: wall seconds appended to $W/NAME.times
    local name=$1; shift
    /usr/bin/time -f "%e" -o "$W/$name.t" "${pin[@]}" "$@" >"$W/$name.out" || return 1
    cat "$W/$name.t" >>"$W/$name.times"
}
for _ in $(seq "$RUNS"); do
    timed senti "$B/senti-predict" -q -m "$W/bundle.m" "$W/test.txt" || exit 1
    timed ft fasttext predict "$W/ft.bin" "$W/test.txt" || exit 1
done
for s in senti ft; do
    [ "$(wc -l <"$W/$s.out")" -eq "$n" ] || { echo "predict_text: $s wrote $(wc -l <"$W/$s.out") lines for $n" >&2; exit 1; }
done
st=$(sort -n "$W/senti.times" | head -1)
ft=$(sort -n "$W/ft.times" | head -1)
awk -v n="$n" -v s="$st" -v f="$ft" 'BEGIN {
    printf "senti-predict -m bundle  %6.2f s  %8.0f reviews/s\n", s, n / s
    printf "fasttext predict         %6.2f s  %8.0f reviews/s\n", f, n / f
    printf "ratio (fastText time / senti time): %.2fx\n", f / s }'
