#!/usr/bin/env bash
# cf.sh - collaborative filtering: senti-from-ratings (formats, key file
# round trip, bad lines with file:line), senti-holdout (every rating in
# exactly one part, k folds, same seed same bytes), senti-center and
# senti-transpose, and senti-complete on a small synthetic low-rank matrix
# that the autoencoder completes well below the item-mean baseline.
. "$(dirname "$0")/lib.sh"
C=$F/cf

# ---------------------------------------------------------------- converter
run senti-from-ratings -q -k "$T/key" "$C/ratings.csv"
ok "from-ratings reads MovieLens ratings.csv (header skipped)" test "$rc" -eq 0
cp "$T/out" "$T/v.svm"
printf '%s\n' '# senti sparse dim=5' '? 2:4 3:0.5 5:2' '? 2:5 4:3.5' '? 1:2.5 2:1 5:5' '? 1:3 3:4.5' '? 1:3 4:4' >"$T/want"
same "$T/v.svm" "$T/want" "item lines, sorted ids, users as columns"
# key round trip: the triples back from the lines and the key
keytriples() { # matrix key by: user item rating lines, sorted
    awk -v by="$3" 'FNR==NR { if ($1 == "line") L[$2] = $3; else if ($1 == "column") K[$2] = $3; next }
         /^#/ { next } { n++; for (i = 2; i <= NF; i++) { split($i, p, ":");
             if (by == "item") print K[p[1]], L[n], p[2] + 0; else print L[n], K[p[1]], p[2] + 0 } }' "$2" "$1" | sort
}
tail -n +2 "$C/ratings.csv" | awk -F, '{ print $1, $2, $3 + 0 }' | sort >"$T/triples"
keytriples "$T/v.svm" "$T/key" item >"$T/back"
same "$T/back" "$T/triples" "key file round trip (item lines)"
senti-from-ratings -q --by user -k "$T/keyu" "$C/ratings.csv" >"$T/u.svm"
keytriples "$T/u.svm" "$T/keyu" user >"$T/backu"
same "$T/backu" "$T/triples" "key file round trip (user lines)"
senti-transpose "$T/v.svm" >"$T/vt"
grep -v '^#' "$T/u.svm" >"$T/u.rows"
grep -v '^#' "$T/vt" >"$T/vt.rows"
same "$T/vt.rows" "$T/u.rows" "senti-transpose of the item lines = the user lines"
run senti-from-ratings -q "$C/ratings.dat"
ok "'::' separated ratings.dat" grep -qx '? 2:4' "$T/out"
run senti-from-ratings -q --by user -k "$T/keyt" "$C/ratings.tsv"
printf '%s\n' '# senti sparse dim=2' '? 1:5 2:4' '? 1:1' '? 2:2' >"$T/want"
same "$T/out" "$T/want" "TAB and blank separated words as ids"
ok "key names the word ids" grep -qx "$(printf 'column\t1\tbook2')" "$T/keyt"
run senti-from-ratings -q -i "$C/ratings.csv"
ok "--id-labels writes the item id as label" grep -qx '1029 1:3 3:4.5' "$T/out"
expect_fail 1 'bad-rating.csv:2: rating .x. is not a number' "bad rating with file:line" \
    senti-from-ratings "$C/bad-rating.csv"
expect_fail 1 'dup.txt:3: the \(user, item\) pair of line 1 again' "duplicate pair with file:line" \
    senti-from-ratings "$C/dup.txt"
expect_fail 1 'scale.txt:2: rating 7 outside the scale' "rating outside --scale with file:line" \
    senti-from-ratings -S 1,5 "$C/scale.txt"
expect_fail 1 'short.txt:1: 2 fields' "short line with file:line" senti-from-ratings "$C/short.txt"
expect_fail 2 'scale' "bad --scale is misuse" senti-from-ratings -S 5,1 "$C/ratings.csv"

# ---------------------------------------------------------------- holdout
# a bigger matrix: 30 items x 20 users, about half known
awk 'BEGIN { srand(3); for (u = 1; u <= 20; u++) for (i = 1; i <= 30; i++) if (rand() < 0.5) print u, i, 1 + int(rand() * 5) }' >"$T/r.txt"
senti-from-ratings -q -S 1,5 "$T/r.txt" >"$T/m.svm"
entries() { awk '/^#/ { next } { n++; for (i = 2; i <= NF; i++) print n, $i }' "$@" | sort; }
entries "$T/m.svm" >"$T/m.ent"
senti-holdout -q -s 5 --train "$T/tr" --test "$T/ho" "$T/m.svm"
cat <(entries "$T/tr") <(entries "$T/ho") | sort >"$T/both"
same "$T/both" "$T/m.ent" "every rating in exactly one part"
ok "no rating in both parts" test -z "$(comm -12 <(entries "$T/tr") <(entries "$T/ho"))"
ok "line for line: as many lines in both parts as in the input" \
    test "$(wc -l <"$T/tr")" -eq "$(wc -l <"$T/m.svm")" -a "$(wc -l <"$T/ho")" -eq "$(wc -l <"$T/m.svm")"
n=$(wc -l <"$T/m.ent") h=$(entries "$T/ho" | wc -l)
ok "fraction 0.1 held out ($h of $n)" test "$h" -eq $(((n + 5) / 10))
ok "headers copied" grep -qx '# senti sparse dim=20' "$T/ho"
senti-holdout -q -s 5 --train "$T/tr2" --test "$T/ho2" "$T/m.svm"
same "$T/ho2" "$T/ho" "same seed, same bytes"
senti-holdout -q -s 6 --train "$T/tr3" --test "$T/ho3" "$T/m.svm"
cmp -s "$T/ho3" "$T/ho"; t_result $((!$?)) "another seed, another split"
: >"$T/folds"
for f in 1 2 3 4; do
    senti-holdout -q -k 4 -f $f -s 2 --train "$T/ktr" --test "$T/kho" "$T/m.svm"
    entries "$T/kho" >>"$T/folds"
done
sort "$T/folds" | same /dev/stdin "$T/m.ent" "the 4 held-out folds hold every rating once"
expect_fail 2 'exclude' "--ratio with -k is misuse" senti-holdout -r 0.2 -k 3 --train "$T/a" --test "$T/b" "$T/m.svm"
printf '? 1:2 1:3\n' >"$T/badm"
expect_fail 1 'badm:1: duplicate index 1' "bad sparse line with file:line" senti-holdout --train "$T/a" --test "$T/b" "$T/badm"

# ---------------------------------------------------------------- center
senti-center -S 1,5 "$T/tr" >"$T/trn"
ok "centred lines have mean 0 and undo to the ratings" awk '
    FNR == NR { if (!/^#/) { n++; for (i = 2; i <= NF; i++) { split($i, p, ":"); R[n, p[1]] = p[2]; c[n]++ } } next }
    /^#/ { next }
    { m++; s = 0; for (i = 2; i <= NF; i++) { split($i, p, ":"); s += p[2]; x[i] = p[2]; k[i] = p[1] }
      if (NF > 1 && (s / (NF - 1) > 1e-6 || s / (NF - 1) < -1e-6)) bad = 1
      t = 0; for (i = 2; i <= NF; i++) t += (R[m, k[i]] - 3) / 2; mu = NF > 1 ? t / (NF - 1) : 0
      for (i = 2; i <= NF; i++) { r = (x[i] + mu) * 2 + 3; if (r - R[m, k[i]] > 1e-5 || R[m, k[i]] - r > 1e-5) bad = 1 }
      if (NF - 1 != c[m]) bad = 1 }
    END { exit bad || m != n }' "$T/tr" "$T/trn"
expect_fail 1 'tr:[0-9]+: rating [0-9.]+ \(index [0-9]+\) outside the scale \[2, 4\]' "rating outside the scale" \
    senti-center -S 2,4 "$T/tr"

# ---------------------------------------------------------------- completion
# rank-2 ratings on [1,5]: 80 items x 60 users, half known
awk 'BEGIN { srand(7); for (u = 1; u <= 60; u++) { a[u] = rand() * 2 - 1; b[u] = rand() * 2 - 1 }
    for (i = 1; i <= 80; i++) { c[i] = rand() * 2 - 1; d[i] = rand() * 2 - 1 }
    for (u = 1; u <= 60; u++) for (i = 1; i <= 80; i++) if (rand() < 0.5) {
        r = 3 + 1.6 * (a[u] * c[i] + b[u] * d[i]); r = r < 1 ? 1 : r > 5 ? 5 : r; printf "%d\t%d\t%.2f\n", u, i, r } }' >"$T/lr.tsv"
senti-from-ratings -q -S 1,5 "$T/lr.tsv" >"$T/lr.svm"
senti-holdout -q -s 3 --train "$T/lrtr" --test "$T/lrho" "$T/lr.svm"
senti-center -S 1,5 "$T/lrtr" >"$T/lrtrn"
ok "a V autoencoder trains on the centred lines" senti-pretrain -q -o "$T/l1" -H 20 -a tanh -r linear-se -n mask:0.25 \
    -e 1,0.5 --observed-only -l 0.05 -b 10 -E 60 --momentum 0.9 "$T/lrtrn"
run senti-complete -m "$T/l1" -S 1,5 "$T/lrtr" "$T/lrho"
ok "senti-complete runs" test "$rc" -eq 0
ok "one prediction per held-out rating" test "$(wc -l <"$T/out")" -eq "$(entries "$T/lrho" | wc -l)"
cp "$T/out" "$T/pred"
ok "predictions within the scale" awk -F'\t' '$2 < 1 || $2 > 5 { exit 1 }' "$T/pred"
ae=$(senti-eval "$T/pred" | awk '$1 == "rmse" { print $2 }')
# the baseline: each item's mean training rating
base=$(awk 'FNR == NR { if (!/^#/) { n++; s = 0; for (i = 2; i <= NF; i++) { split($i, p, ":"); s += p[2] } m[n] = NF > 1 ? s / (NF - 1) : 3 } next }
    /^#/ { next } { k++; for (i = 2; i <= NF; i++) { split($i, p, ":"); e = p[2] - m[k]; se += e * e; c++ } }
    END { printf "%.4f\n", sqrt(se / c) }' "$T/lrtr" "$T/lrho")
ok "the autoencoder ($ae) completes well below the item-mean baseline ($base)" awk -v a="$ae" -v b="$base" 'BEGIN { exit !(a < 0.5 * b) }'
grep -q ', 0 of lines without' "$T/err"
t_result $? "fallbacks counted on stderr"
# fallbacks: an item without training ratings, a user absent from training
printf '%s\n' '# senti sparse dim=60' >"$T/fbtr"
printf '%s\n' '# senti sparse dim=60' >"$T/fbho"
grep -v '^#' "$T/lrtr" | head -3 | sed 's/ 60:[^ ]*//' >>"$T/fbtr"
echo '?' >>"$T/fbtr"
printf '%s\n' '? 60:4' '? 60:2' '? 60:3' '? 1:5' >>"$T/fbho"
run senti-complete -m "$T/l1" -S 1,5 "$T/fbtr" "$T/fbho"
ok "fallbacks counted: 1 line without ratings, 3 unseen columns" grep -q '4 held-out ratings: 0 by the model, 1 of lines without training ratings (global mean), 3 of columns unseen' "$T/err"
m1=$(grep -v '^#' "$T/fbtr" | head -1 | awk '{ s = 0; for (i = 2; i <= NF; i++) { split($i, p, ":"); s += p[2] } printf "%.4f", s / (NF - 1) }')
ok "an unseen column is predicted by the line mean ($m1)" awk -F'\t' -v m="$m1" 'NR == 1 { exit !($2 - m < 1e-4 && m - $2 < 1e-4) }' "$T/out"
# the stack model too (two layers fine-tuned together)
senti-encode -m "$T/l1" --raw "$T/lrtrn" >"$T/codes" 2>/dev/null
ok "a second layer on the codes" senti-pretrain -q -o "$T/l2" -H 10 -a tanh -r linear-se -n none -l 0.05 -b 10 -E 5 "$T/codes"
ok "the two layers fine-tuned as a stack" senti-pretrain -q -o "$T/st" --stack "$T/l1,$T/l2" -r linear-se -n mask:0.25 \
    -e 1,0.5 --observed-only -l 0.02 -b 10 -E 20 --momentum 0.9 "$T/lrtrn"
run senti-complete -m "$T/st" -S 1,5 "$T/lrtr" "$T/lrho"
st=$(senti-eval "$T/out" | awk '$1 == "rmse" { print $2 }')
ok "the stack ($st) completes below the baseline ($base)" awk -v a="$st" -v b="$base" 'BEGIN { exit !(a < 0.7 * b) }'
expect_fail 1 'lines' "held-out file of another line count" senti-complete -m "$T/l1" -S 1,5 "$T/lrtr" "$T/ho"
expect_fail 2 'scale' "no --scale is misuse" senti-complete -m "$T/l1" "$T/lrtr" "$T/lrho"
finish
