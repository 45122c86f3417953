#!/usr/bin/env bash
# bench/blitzer_cv.sh - rating prediction on the Blitzer reviews (8000,
# ratings 1,2,4,5), 10-fold cross-validation, top-5000 binary bag of words:
#
#   liblinear   LIBLINEAR -s 0 -B 1 (L2 logistic regression), -b 1
#               probabilities, expected star; C from {0.03,0.1,0.3,1}
#   softmax     senti-train, no hidden layer (expected-star softmax), SGD,
#               early stopping; --l2 from {0,0.001,0.003,0.01}
#   pretrained  senti-pretrain one rectifier layer of 1000 units on the
#               fold's train part, then senti-train --init fine-tuning with
#               input and hidden dropout and early stopping; --in-drop
#               from {0.3,0.5}
#
# Per fold F: senti-split -k 10 -f F -s 1 gives train and test parts; the
# vocabulary (top 5000 by document frequency) comes from the train part
# only; the train part is split again 90/10 (senti-split -r 0.9 -s 1) into
# an inner train and validation part.  Every choice (C, L2, dropout, the
# number of epochs by early stopping) is made on the inner validation part;
# then each method is refit on the whole train part with its choice (senti:
# the chosen number of epochs) and scored once on the test fold.  The
# pretrained layer sees the text of the train part only.
#
# Prints RMSE mean +- sample standard deviation over the folds per method,
# the per-fold differences to LIBLINEAR, and wall times; per-fold rows go to
# $W/results.tsv.  Environment: FOLDS (e.g. "1..10", "1..3", "2 5"; default
# all ten), THREADS [2], SENTI_BIN, SENTI_DATA (work files under
# $SENTI_DATA/blitzer_cv, default data/ at the top of the repository).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${SENTI_BIN:-$top/bin}
PATH=$B:$PATH
export PATH
DATA=${SENTI_DATA:-$top/data}
W=$DATA/blitzer_cv
T=${THREADS:-2}
FOLDS=${FOLDS:-1..10}
case $FOLDS in
*..*) folds=$(seq "${FOLDS%..*}" "${FOLDS#*..}") ;;
*) folds=$FOLDS ;;
esac

# settings (see docs/train.md)
LL_C="0.03 0.1 0.3 1"
SM_L2="0 0.001 0.003 0.01"
SM_OPTS=(-l 0.03 -E 100 -p 10)
PT_OPTS=(-H 1000 -n sp:0.05 --l1 0.001 -E 3 -k 500 -l 0.01)
PT_INDROP="0.3 0.5"
FT_OPTS=(-l 0.01 --l1 0.0001 --drop 0.5 -E 80 -p 10)

step() { printf '== %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

bash "$top/pipelines/need-pkgs" liblinear-tools
command -v liblinear-train >/dev/null || { echo "blitzer_cv: liblinear-train not found" >&2; exit 1; }
"$top/corpora/fetch" blitzer >&2
mkdir -p "$W"
step "tokenize"
senti-tokenize -q "$DATA/blitzer/blitzer.tsv" >"$W/tok.tsv"

# rmse FILE: RMSE of gold<TAB>prediction lines
rmse() { senti-eval -q -f tsv "$1" | awk -F'\t' '$1 == "rmse" { print $2 }'; }

# liblinear C TRAIN TEST OUT: fit on TRAIN, expected star on TEST into OUT
liblinear() {
    liblinear-train -q -s 0 -B 1 -c "$1" "$2" "$D/ll.model" >/dev/null
    liblinear-predict -b 1 "$3" "$D/ll.model" "$D/ll.proba" >/dev/null
    awk 'NR == 1 { for (i = 2; i <= NF; i++) lab[i] = $i; next }
         { e = 0; for (i = 2; i <= NF; i++) e += lab[i] * $i; printf "%.6f\n", e }' "$D/ll.proba" |
        paste <(cut -d' ' -f1 "$3") - >"$4"
}

# best_of LOG: "epoch valid_rmse" of the lowest validation RMSE (first on ties)
best_of() { awk -F'\t' 'NR > 1 && (b == "" || $5 < b) { b = $5; e = $1 } END { print e, b }' "$1"; }

# pick RESULTS: the line "value epoch valid_rmse" of lowest valid_rmse
pick() { sort -s -g -k3,3 "$1" | head -1; }

res=$W/results.tsv
printf 'fold\tmethod\trmse\tseconds\tchoice\n' >"$res"
t_all=$(now)
for F in $folds; do
    D=$W/f$F
    mkdir -p "$D"
    step "fold $F: split, vocabulary, bag of words"
    senti-split -q -k 10 -f "$F" -s 1 --train "$D/train.tok" --test "$D/test.tok" "$W/tok.tsv"
    senti-split -q -r 0.9 -s 1 --train "$D/itrain.tok" --test "$D/ivalid.tok" "$D/train.tok"
    senti-vocab -q -k 5000 "$D/train.tok" >"$D/vocab"
    for p in train test itrain ivalid; do
        senti-bow -q -v "$D/vocab" "$D/$p.tok" >"$D/$p.svm"
        grep -v '^#' "$D/$p.svm" >"$D/$p.ll"
    done

    step "fold $F: LIBLINEAR"
    t0=$(now)
    : >"$D/ll.grid"
    for C in $LL_C; do
        liblinear "$C" "$D/itrain.ll" "$D/ivalid.ll" "$D/ll.pred"
        echo "$C - $(rmse "$D/ll.pred")" >>"$D/ll.grid"
    done
    read -r C _ v <<<"$(pick "$D/ll.grid")"
    liblinear "$C" "$D/train.ll" "$D/test.ll" "$D/ll.pred"
    r=$(rmse "$D/ll.pred")
    printf '%s\tliblinear\t%s\t%s\tC=%s (valid %s)\n' "$F" "$r" "$(since "$t0")" "$C" "$v" >>"$res"
    tail -1 "$res" >&2

    step "fold $F: senti softmax, no hidden layer"
    t0=$(now)
    : >"$D/sm.grid"
    for l2 in $SM_L2; do
        senti-train -q -o "$D/sm.model" "${SM_OPTS[@]}" --l2 "$l2" -t "$T" -v "$D/ivalid.svm" --log "$D/sm.log" \
            "$D/itrain.svm"
        echo "$l2 $(best_of "$D/sm.log")" >>"$D/sm.grid"
    done
    read -r l2 ep v <<<"$(pick "$D/sm.grid")"
    senti-train -q -o "$D/sm.model" "${SM_OPTS[@]}" --l2 "$l2" -E "$ep" -t "$T" "$D/train.svm"
    senti-predict -q -m "$D/sm.model" "$D/test.svm" >"$D/sm.pred"
    r=$(rmse "$D/sm.pred")
    printf '%s\tsoftmax\t%s\t%s\tl2=%s epochs=%s (valid %s)\n' "$F" "$r" "$(since "$t0")" "$l2" "$ep" "$v" >>"$res"
    tail -1 "$res" >&2

    step "fold $F: senti one pretrained rectifier layer, fine-tuned"
    t0=$(now)
    senti-pretrain -q -o "$D/layer1" "${PT_OPTS[@]}" -t "$T" "$D/train.svm"
    : >"$D/pt.grid"
    for p in $PT_INDROP; do
        senti-train -q -o "$D/pt.model" --init "$D/layer1" "${FT_OPTS[@]}" --in-drop "$p" -t "$T" \
            -v "$D/ivalid.svm" --log "$D/pt.log" "$D/itrain.svm"
        echo "$p $(best_of "$D/pt.log")" >>"$D/pt.grid"
    done
    read -r p ep v <<<"$(pick "$D/pt.grid")"
    senti-train -q -o "$D/pt.model" --init "$D/layer1" "${FT_OPTS[@]}" --in-drop "$p" -E "$ep" -t "$T" "$D/train.svm"
    senti-predict -q -m "$D/pt.model" "$D/test.svm" >"$D/pt.pred"
    r=$(rmse "$D/pt.pred")
    printf '%s\tpretrained\t%s\t%s\tin-drop=%s epochs=%s (valid %s)\n' "$F" "$r" "$(since "$t0")" "$p" "$ep" "$v" >>"$res"
    tail -1 "$res" >&2
done
total=$(since "$t_all")

echo "Blitzer, 10-fold CV (folds: ${folds//$'\n'/ }), top-5000 binary bag of words, $T threads"
echo
awk -F'\t' '
    NR == 1 { next }
    { n[$2]++; s[$2] += $3; q[$2] += $3 * $3; t[$2] += $4; r[$2, $1] = $3; if (!($1 in fs)) { fs[$1] = 1; nf++ } }
    END {
        printf "%-34s %6s  %-17s %9s\n", "method", "folds", "RMSE mean +- std", "seconds"
        split("liblinear softmax pretrained", m, " ")
        name["liblinear"] = "LIBLINEAR -s 0 -B 1, expected star"
        name["softmax"] = "senti softmax, no hidden layer"
        name["pretrained"] = "senti 1 pretrained ReLU layer"
        for (i = 1; i <= 3; i++) {
            k = m[i]; if (!n[k]) continue
            mu = s[k] / n[k]; sd = n[k] > 1 ? sqrt((q[k] - n[k] * mu * mu) / (n[k] - 1)) : 0
            printf "%-34s %6d  %.4f +- %.4f   %9.1f\n", name[k], n[k], mu, sd, t[k]
        }
        print ""
        printf "%-34s %6s  %-17s\n", "paired difference (per fold)", "folds", "mean +- std"
        for (i = 2; i <= 3; i++) {
            k = m[i]; c = 0; ds = 0; dq = 0
            for (f in fs) if (((k, f) in r) && (("liblinear", f) in r)) { d = r[k, f] - r["liblinear", f]; c++; ds += d; dq += d * d }
            if (!c) continue
            mu = ds / c; sd = c > 1 ? sqrt((dq - c * mu * mu) / (c - 1)) : 0
            printf "%-34s %6d  %+.4f +- %.4f\n", k " - liblinear", c, mu, sd
        }
    }' "$res"
echo
printf 'wall time %.0f s (per-fold rows: %s)\n' "$total" "$res"
