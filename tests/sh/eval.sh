#!/usr/bin/env bash
# eval.sh - senti-eval against values computed by hand.
. "$(dirname "$0")/lib.sh"

# gold pred : errors -0.5, 1, -0.6, 2.1 -> squares 0.25 1 0.36 4.41, sum 6.02
# rmse = sqrt(6.02/4) = 1.226784, mae = 4.2/4 = 1.05
# nearest class of 1.5 (tie 1|2 -> 1), 1.0 -> 1, 4.6 -> 5, 2.9 -> 2: 1 exact of 4
# polarity at (1+5)/2 = 3: 1.5 neg ok, 1.0 neg ok, 4.6 pos ok, 2.9 neg wrong: 0.75
printf '1\t1.5\n2\t1.0\t0.5\t0.5\n4\t4.6\n# comment\n5\t2.9\r\n?\t2.0\n' >"$T/p"
run senti-eval -f tsv "$T/p"
t_result $rc "eval runs"
cat >"$T/want" <<'X'
count	4
unlabeled	1
rmse	1.226784
mae	1.050000
accuracy	0.250000
polarity_accuracy	0.750000
threshold	3
confusion	1	1	1
confusion	1	2	0
confusion	1	4	0
confusion	1	5	0
confusion	2	1	1
confusion	2	2	0
confusion	2	4	0
confusion	2	5	0
confusion	4	1	0
confusion	4	2	0
confusion	4	4	0
confusion	4	5	1
confusion	5	1	0
confusion	5	2	1
confusion	5	4	0
confusion	5	5	0
X
same "$T/out" "$T/want" "hand-computed metrics and confusion matrix"

# explicit classes and threshold: with 1..5, 2.9 rounds to 3; threshold 2.5 flips it
run senti-eval -f tsv --classes 5,4,3,2,1 --threshold 2.5 "$T/p"
ok "classes 1..5: accuracy 1/4" grep -qx $'accuracy\t0.250000' "$T/out"
ok "threshold 2.5: polarity 1.0" grep -qx $'polarity_accuracy\t1.000000' "$T/out"
ok "classes 1..5: 5 rows of 5" test "$(grep -c '^confusion' "$T/out")" -eq 25

# bootstrap: a constant error gives a degenerate interval at the RMSE; a
# varying one gives lo <= rmse <= hi, deterministically for a seed
printf '3\t3.5\n1\t1.5\n5\t4.5\n' | senti-eval -f tsv -b 200 >"$T/b"
ok "constant error: lo = rmse" grep -qx $'rmse_lo\t0.500000' "$T/b"
ok "constant error: hi = rmse" grep -qx $'rmse_hi\t0.500000' "$T/b"
awk 'BEGIN { for (i = 0; i < 500; i++) printf "%d\t%.3f\n", i % 5 + 1, (i % 5 + 1) + ((i * 7) % 11 - 5) / 5 }' >"$T/v"
senti-eval -f tsv -b 500 -s 3 "$T/v" >"$T/b1"
senti-eval -f tsv -b 500 -s 3 "$T/v" >"$T/b2"
same "$T/b1" "$T/b2" "bootstrap deterministic for a seed"
awk -F'\t' '{v[$1] = $2} END { exit !(v["rmse_lo"] <= v["rmse"] && v["rmse"] <= v["rmse_hi"] && v["rmse_lo"] < v["rmse_hi"]) }' "$T/b1"
t_result $? "bootstrap interval brackets the RMSE"

# --against: a second model's predictions of the same gold lines.
# second model's errors 0, -0.5 (the '?' line skipped in both), 0, 1:
# rmse sqrt(1.25/4) = 0.559017; difference 1.226784 - 0.559017 = 0.667767
printf '1\t1.0\n2\t2.5\n?\t3\n4\t4.0\n# note\n5\t4.0\n' >"$T/q"
run senti-eval -f tsv -a "$T/q" "$T/p"
ok "against: its rmse" grep -qx $'against_rmse\t0.559017' "$T/out"
ok "against: the difference" grep -qx $'rmse_diff\t0.667767' "$T/out"
run senti-eval -f tsv -a "$T/p" "$T/q"
ok "against, swapped: the negated difference" grep -qx $'rmse_diff\t-0.667767' "$T/out"
# paired bootstrap: the same resamples for both models, so swapping the
# two negates the interval exactly; a model against itself gives [0, 0];
# the RMSE's own interval does not move with --against
awk 'BEGIN { for (i = 0; i < 500; i++) printf "%d\t%.3f\n", i % 5 + 1, (i % 5 + 1) + ((i * 3) % 7 - 3) / 4 }' >"$T/v2"
senti-eval -f tsv -b 500 -s 3 -a "$T/v2" "$T/v" >"$T/d1"
senti-eval -f tsv -b 500 -s 3 -a "$T/v" "$T/v2" >"$T/d2"
awk -F'\t' 'NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
    END { exit !(a["rmse_diff_lo"] == -b["rmse_diff_hi"] && a["rmse_diff_hi"] == -b["rmse_diff_lo"] &&
                 a["rmse_diff_lo"] <= a["rmse_diff"] && a["rmse_diff"] <= a["rmse_diff_hi"] &&
                 a["rmse_diff_lo"] < a["rmse_diff_hi"]) }' "$T/d1" "$T/d2"
t_result $? "paired bootstrap: brackets the difference, negated when swapped"
same <(grep '^rmse_[lh]' "$T/d1") <(grep '^rmse_[lh]' "$T/b1") "the RMSE interval is the same with --against"
senti-eval -f tsv -b 300 -a "$T/v" "$T/v" >"$T/d3"
ok "against itself: interval [0, 0]" grep -qx $'rmse_diff_lo\t0.000000' "$T/d3"
ok "against itself: upper end 0" grep -qx $'rmse_diff_hi\t0.000000' "$T/d3"
# paired, the interval is narrower than the two models' own intervals
# would suggest: two models with nearly the same errors
awk -F'\t' '{ printf "%s\t%.3f\n", $1, $2 + 0.01 }' "$T/v" >"$T/v3"
senti-eval -f tsv -b 500 -a "$T/v3" "$T/v" >"$T/d4"
awk -F'\t' '{ v[$1] = $2 } END { exit !(v["rmse_diff_hi"] - v["rmse_diff_lo"] < (v["rmse_hi"] - v["rmse_lo"]) / 5) }' "$T/d4"
t_result $? "paired interval far narrower than the unpaired one"
run senti-eval -a "$T/q" "$T/p"
ok "text format: difference line" grep -q '^rmse difference  *+0.6678' "$T/out"
printf '1\t1\n2\t2\n5\t5\n' >"$T/q2"
expect_fail 1 "^senti-eval: $T/q2:3: gold rating 5 where the inputs have 4" "against: gold differs" \
    senti-eval -a "$T/q2" "$T/p"
printf '1\t1\n2\t2\n' >"$T/q2"
expect_fail 1 "^senti-eval: $T/q2: 2 labeled lines where the inputs have 4" "against: fewer lines" \
    senti-eval -a "$T/q2" "$T/p"
expect_fail 1 "^senti-eval: $T/none" "against: missing file" senti-eval -a "$T/none" "$T/p"

# text format carries the same numbers
run senti-eval "$T/p"
ok "text format rmse" grep -q '^rmse  *1.2268' "$T/out"
ok "text format notes unlabeled" grep -q '1 unlabeled' "$T/out"

# bad input
printf '1\t2\n3 4\n' >"$T/bad"
expect_fail 1 "^senti-eval: $T/bad:2: no tab" "line without tab" senti-eval "$T/bad"
printf '1\tx\n' >"$T/bad"
expect_fail 1 "^senti-eval: $T/bad:1: bad prediction 'x'" "bad prediction" senti-eval "$T/bad"
printf 'nan\t1\n' >"$T/bad"
expect_fail 1 "^senti-eval: $T/bad:1: bad gold rating 'nan'" "NaN gold" senti-eval "$T/bad"
printf '?\t1\n' >"$T/bad"
expect_fail 1 "no labeled predictions" "only unlabeled lines" senti-eval "$T/bad"
expect_fail 2 "format: 'xml'" "bad format" senti-eval -f xml "$T/p"

# huge finite values: refused beyond 1e300, finite figures and short lines below
printf '5\t4\n1\t1e308\n' >"$T/huge"
expect_fail 1 "^senti-eval: $T/huge:2: bad prediction '1e308' \\(expected a number, \\|x\\| <= 1e300\\)\$" \
    "a prediction beyond 1e300 is refused with its line" senti-eval -b 100 -a "$T/huge" "$T/huge"
printf '5\t4\n1\t1e300\n3\t-1e300\n' >"$T/huge"
run senti-eval -b 100 -a "$T/huge" "$T/huge"
ok "1e300 misses: exit 0" test "$rc" -eq 0
ok "1e300 misses: no inf or nan in the report" bash -c "! grep -Eiq 'inf|nan' '$T/out'"
ok "1e300 misses: rmse in exponent form" grep -Eq '^rmse +8\.1650e\+299' "$T/out"
ok "1e300 misses: every line short" awk 'length > 120 { exit 1 }' "$T/out"
printf '1\t1e17\n5\t5\n' >"$T/far"
run senti-eval "$T/far"
ok "a prediction of 1e17 for gold 1 is not exact (accuracy 0.5)" grep -q '^accuracy  *0.5000' "$T/out"
finish
