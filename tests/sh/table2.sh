#!/usr/bin/env bash
# table2.sh - pipelines/table2.mk end to end on a tiny generated corpus
# (CORPUS=tsv, your own reviews) with 3 folds and small layers: every row of every fold is scored, the table and
# plots are made, a second run does nothing, and a changed setting redoes
# only the steps that depend on it.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
for p in fasttext liblinear-train gnuplot; do
    command -v $p >/dev/null || { echo "table2.sh: $p is not installed (make deps)" >&2; t_result 1 "$p installed"; finish; }
done

# 300 reviews: words w1..w4 lean to ratings 1, 2, 4, 5; the rest is noise
awk 'BEGIN { srand(3); split("1 2 4 5", lab, " ")
    for (i = 0; i < 300; i++) { c = int(rand() * 4) + 1; t = "good" (c > 2 ? " great" : " bad")
        for (j = 0; j < 12; j++) t = t " " (rand() < 0.3 ? "w" c : "n" int(rand() * 40))
        print lab[c] "\t" t } }' >"$T/tiny.tsv"
small='HIDDEN=8 NONE_OPTS="-l 0.1 -E 8 -p 3" FT1_OPTS="-l 0.05 -E 8 -p 3" FT3_OPTS="-l 0.05 -E 8 -p 3" \
       FTT_OPTS="-l 0.05 -E 8 -p 3" PRE1_OPTS="-H 8 -E 2" PREUP_OPTS="-H 8 -n mask:0.25 -E 2" \
       TANH1_OPTS="-a tanh -H 8 -E 2" TANHUP_OPTS="-a tanh -H 8 -n mask:0.25 -r linear-se -l 0.001 -E 2" \
       FT_LRS="0.1 0.5" FT_EPOCHS=5 FT_DIM=10 FT_BUCKET=1000 VOCAB_K=50'
t2() { eval "make --no-print-directory -j2 -f '$top/pipelines/table2.mk' CORPUS=tsv \
    TSV='$T/tiny.tsv' KFOLDS=3 R='$T/r' PUBLISH='$T/pub' \
    BIN='$B' $small $*"; }

run t2
t_result $rc "make -f pipelines/table2.mk on a tiny corpus"
[ $rc -ne 0 ] && tail -5 "$T/err" >&2
ok "table.md has a header, a rule and 7 rows" bash -c "head -9 '$T/pub/table.md' | grep -c '^|' | grep -qx 9 && sed -n 10p '$T/pub/table.md' | grep -qx ''"
ok "... then 3 paired comparisons, over 3 folds" bash -c "tail -5 '$T/pub/table.md' | grep -c ' of 3 folds |\$' | grep -qx 3"
ok "compare.tsv: 3 comparisons" test "$(tail -n +2 "$T/r/compare.tsv" | wc -l)" -eq 3
# a comparison is the mean over folds of the per-fold RMSE differences,
# and counts the folds on which the first row is better
ok "one layer against none = mean of the per-fold differences in folds.tsv" \
    awk -F'\t' 'NR == FNR { if ($1 == "relu1") a[$2] = $3; if ($1 == "none") b[$2] = $3; next }
        FNR > 1 && $1 == "relu1" && $2 == "none" { for (f in a) { s += a[f] - b[f]; n++; w += a[f] < b[f] }
            found = 1; exit !(n == 3 && (s / n - $4) ^ 2 < 1e-8 && w == $8) }
        END { if (!found) exit 1 }' "$T/r/folds.tsv" "$T/r/compare.tsv"
ok "the best senti row against the best peer" \
    awk -F'\t' 'NR > 1 && $1 ~ /^(none|relu1|relu3|tanh3)$/ && $2 ~ /^(fasttext|liblinear|svr)$/ { f = 1 }
        END { exit !f }' "$T/r/compare.tsv"
ok "folds.tsv: 7 rows x 3 folds" test "$(tail -n +2 "$T/r/folds.tsv" | wc -l)" -eq 21
ok "every RMSE is a number below 2" awk -F'\t' 'NR > 1 { if (!($3 > 0 && $3 < 2)) exit 1 }' "$T/r/folds.tsv"
ok "the words that carry the rating are learned: softmax RMSE < 1" \
    awk -F'\t' '$1 == "none" { if (!($3 < 1)) exit 1 }' "$T/r/table.tsv"
ok "sparsity of the rectifier rows is a fraction" \
    awk -F'\t' '$1 ~ /^relu/ { if (!($6 >= 0 && $6 <= 1)) exit 1; n++ } END { exit n != 2 }' "$T/r/table.tsv"
ok "tanh units are never exactly zero" awk -F'\t' '$1 == "tanh3" { exit !($6 == 0) }' "$T/r/table.tsv"
ok "wall time recorded for every row" awk -F'\t' 'NR > 1 { if (!($8 > 0)) exit 1 }' "$T/r/folds.tsv"
for f in rmse.svg rmse.png curves.svg curves.png table.tsv folds.tsv compare.tsv; do
    ok "published $f" test -s "$T/pub/$f"
done
ok "the SVG bar chart names every model" bash -c "grep -q fastText '$T/pub/rmse.svg' && grep -q 'rect 3' '$T/pub/rmse.svg'"
# the prediction a row makes is what senti-eval scored
r=$(senti-eval -f tsv "$T/r/f02/relu1.pred" | awk -F'\t' '$1 == "rmse" { print $2 }')
ok "fold 2 relu1 RMSE in folds.tsv = senti-eval of its predictions ($r)" \
    awk -F'\t' -v r="$r" '$1 == "relu1" && $2 == "f02" { exit !($3 == r) }' "$T/r/folds.tsv"

# resumable: nothing to do the second time; a changed fine-tuning setting
# redoes the relu1 models only
run t2
ok "a second run runs no command" bash -c "! grep -q -E 'senti-|fasttext|liblinear' '$T/out'"
run t2 'FT1_OPTS="-l 0.05 -E 9 -p 3"'
n1=$(grep -c 'senti-train .*relu1.model' "$T/out")
ok "changed FT1_OPTS retrains relu1 on 3 folds ($n1)" test "$n1" -eq 3
ok "... and nothing else is retrained" \
    bash -c "! grep -E '^[^ ]*timed ' '$T/out' | grep -q -E 'senti-pretrain|none\.model|relu3\.model|tanh3\.model|fasttext-row|liblinear-row'"
# tokens: bigrams by default, and other tokenizer options redo everything
ok "the tokens hold word bigrams (TOK_OPTS -g 2)" grep -q -E '\b[a-z]+_[a-z]+\b' "$T/r/all.tok"
run t2 'FT1_OPTS="-l 0.05 -E 9 -p 3"' 'TOK_OPTS=""'
ok "changed TOK_OPTS tokenizes again, without bigrams" bash -c "grep -q 'senti-tokenize' '$T/out' && ! grep -q -E '\b[a-z]+_[a-z]+\b' '$T/r/all.tok'"
n0=$(grep -c 'senti-train .*none.model' "$T/out")
ok "... and retrains every row ($n0 no-hidden-layer models)" test "$n0" -eq 3

# VALID_GROUPS: the validation part is split by group (IMDB: movies)
run t2 "'$T/r/f01/valid.tok'"
awk '{ print "g" int((NR - 1) / 7) }' "$T/r/f01/train.tok" >"$T/groups"
run t2 "VALID_GROUPS='$T/groups'" "R='$T/rg'" "'$T/rg/f01/valid.tok'"
senti-split -q --ratio 0.9 -s 2 -g "$T/groups" "$T/r/f01/train.tok" >"$T/valid.want"
same "$T/rg/f01/train.tok" "$T/r/f01/train.tok" "VALID_GROUPS: the same training part"
same "$T/rg/f01/valid.tok" "$T/valid.want" "VALID_GROUPS: valid.tok is senti-split --groups of train.tok"
ok "... and not the ungrouped split" bash -c "! cmp -s '$T/rg/f01/valid.tok' '$T/r/f01/valid.tok'"

# a failing step leaves no target behind and the run fails
printf '5\tgood\n' >"$T/one.tsv"
run make --no-print-directory -f "$top/pipelines/table2.mk" CORPUS=tsv TSV="$T/one.tsv" KFOLDS=3 \
    R="$T/bad" PUBLISH="$T/pub2" BIN="$B" FOLDS=1 ROWS=none
ok "a corpus with one rating fails the run" test $rc -ne 0
ok "... and leaves no model or table" bash -c "! ls '$T'/bad/f01/none.model '$T/pub2/table.md' 2>/dev/null"
# settings for a new corpus: pipelines/tune searches its grid on the
# validation part of fold 1 within the budget, writes the chosen options,
# and the table is made with them
run t2 BUDGET=15 tune
ok "make tune writes settings.mk" test -s "$T/r/tune/settings.mk"
ok "... with every setting the rows need" bash -c "for v in HIDDEN NONE_OPTS PRE1_OPTS PREUP_OPTS FT1_OPTS FT3_OPTS FTT_OPTS; do grep -q \"^\$v = \" '$T/r/tune/settings.mk' || exit 1; done"
ok "trials.tsv: a validation RMSE for every trial" awk -F'\t' 'NR > 1 { n++; if (!($3 > 0)) exit 1 } END { exit !(n >= 3) }' "$T/r/tune/trials.tsv"
lr=$(sed -n 's/^NONE_OPTS = -l \([^ ]*\) .*/\1/p' "$T/r/tune/settings.mk")
ok "the no-hidden-layer rate chosen ($lr) has a trial within 0.001 of the best" \
    awk -F'\t' -v lr="$lr" '$1 == "none" { if (m == "" || $3 < m) m = $3; if (index($2, "-l " lr " ") == 1 && (c == "" || $3 < c)) c = $3 }
        END { exit !(c != "" && c <= m + 0.001) }' "$T/r/tune/trials.tsv"
run t2 "SETTINGS='$T/r/tune/settings.mk'" ROWS=none "'$T/r/opts/none'"
ok "make table2 SETTINGS= takes the chosen options" grep -q -- "-l $lr " "$T/r/opts/none"

# PRE_TSV: more reviews for pretraining only, appended to each fold's text
awk 'BEGIN { srand(9); for (i = 0; i < 40; i++) print "?\tgood w" int(rand() * 4 + 1) " n" int(rand() * 40) }' >"$T/more.tsv"
run t2 "PRE_TSV='$T/more.tsv'" "R='$T/rp'" "'$T/rp/f02/pre.tok'"
ok "PRE_TSV: pre.tok is the fold's training part, then the extra reviews' tokens" \
    bash -c "cat '$T/rp/f02/train.tok' '$T/rp/extra.tok' | cmp -s - '$T/rp/f02/pre.tok' && test \$(wc -l <'$T/rp/extra.tok') -eq 40"

finish
