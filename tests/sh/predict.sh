#!/usr/bin/env bash
# predict.sh - senti-predict as a stream: each prediction is written as soon
# as its line is read (--line-buffered, and by default on a terminal), the
# row comment passes through as the last column, --label writes the most
# probable class, a progress line on a terminal, zero-based input, and
# refusals that come before any work.
. "$(dirname "$0")/lib.sh"
D=$F/dae
cd "$T" || exit 1
senti-train -q -E 3 -o net.m "$D/train.txt"
# a linear output: --head linear (--output linear before -o/--output named the file)
if senti-train --help | grep -q -- '--head'; then head=--head; else head=--output; fi
senti-train -q -E 3 $head linear -o lin.m "$D/train.txt"

# ------------------------------------------------------------------------
# streaming: one line in, its prediction out, before the next line is sent
streams "--line-buffered" '7 1:1 2:1' $'^7\t[0-9.]+$' '? 3:1' $'^\\?\t[0-9.]+$' senti-predict -m net.m --line-buffered

# on a terminal (stdout a pty through script(1)), line by line by default
mkfifo in.fifo
script -qfec "senti-predict -m net.m <in.fifo" tty.log >/dev/null 2>&1 &
S=$!
exec {W}>in.fifo
printf '7 1:1 2:1\n' >&$W
for _ in $(seq 100); do grep -q '^7' tty.log 2>/dev/null && break; sleep 0.1; done
ok "on a terminal: a prediction before the input ends" grep -q $'^7\t' tty.log
printf '1 3:1\n' >&$W
exec {W}>&-
wait $S
ok "on a terminal: both predictions" test "$(grep -c $'^[17]\t' tty.log)" -eq 2

# ------------------------------------------------------------------------
# the comment column
printf '7 1:1 # review 12\n? 2:1\n1 3:1 #\tid\t9 \n' >c.sp
senti-predict -m net.m c.sp >c.pred
awk -F'\t' 'NR == 1 && NF == 3 && $3 == "review 12" { a++ }
            NR == 2 && NF == 2 { a++ }
            NR == 3 && NF == 3 && $3 == "id 9 " { a++ } END { exit a != 3 }' c.pred
t_result $? "the comment is the last column (TABs in it become spaces); rows without one have none"
senti-predict -m net.m -p c.sp >c.proba
K=$(awk -F'\t' 'NR == 2 { print NF - 2 }' c.proba)
ok "with --proba the comment follows the $K probabilities" \
    awk -F'\t' -v k="$K" 'NR == 1 { exit !(NF == k + 3 && $NF == "review 12") }' c.proba
cut -f1,2 c.pred >c12
grep -v '^#' c.sp | sed 's/ #.*//' | senti-predict -m net.m >nocomment.pred
same c12 nocomment.pred "the comment changes nothing else"
senti-eval c.pred >/dev/null
ok "senti-eval reads predictions with a comment column" test $? -eq 0

# ------------------------------------------------------------------------
# --label: the most probable class
senti-predict -m net.m -p "$D/valid.txt" >v.proba
senti-predict -m net.m -l "$D/valid.txt" >v.label
senti-inspect net.m >inspect.txt
classes=$(grep 'output softmax' inspect.txt | grep -Eo 'classes [-0-9.,]+' | cut -d' ' -f2)
awk -F'\t' -v cl="$classes" 'BEGIN { k = split(cl, c, ",") }
    { b = 3; for (i = 4; i < 3 + k; i++) if ($i > $b) b = i
      printf "%s\t%s", $1, c[b - 2]; if (NF > k + 2) printf "\t%s", $NF; print "" }' v.proba >v.want
same v.label v.want "--label writes the class of the largest probability (classes: $classes)"
ok "--label differs from the expected rating" bash -c "! cmp -s v.label <(cut -f1,2 v.proba)"
expect_fail 2 '--label needs a softmax model; lin.m has a linear output' "--label on a linear model" \
    senti-predict -m lin.m -l "$D/valid.txt"

# ------------------------------------------------------------------------
# progress: on a terminal stderr, when the predictions go elsewhere
awk 'BEGIN { srand(3); for (i = 0; i < 200000; i++) print int(rand() * 9) + 1, int(rand() * 30) + 1 ":1", int(rand() * 29) + 31 ":1" }' >big.sp
script -qec "senti-predict -m net.m big.sp >big.pred" prog.log >/dev/null 2>&1
ok "a progress line on a terminal (rows, rows/s)" grep -aq 'senti-predict: [0-9]* rows, [0-9]* rows/s' prog.log
ok "all predictions written" test "$(wc -l <big.pred)" -eq 200000
script -qec "senti-predict -q -m net.m big.sp >big.pred" prog.log >/dev/null 2>&1
ok "-q: no progress line" bash -c "! grep -aq 'rows/s' prog.log"
senti-predict -m net.m big.sp 2>err >/dev/null
ok "no progress line when stderr is not a terminal" test ! -s err

# ------------------------------------------------------------------------
# zero-based input gives the same predictions as the same rows one-based
sed 's/ #.*//' "$D/valid.txt" | awk '/^#/ { next } { printf "%s", $1; for (i = 2; i <= NF; i++) { split($i, a, ":"); printf " %d:%s", a[1] - 1, a[2] } print "" }' >zb.sp
senti-predict -m net.m --zero-based zb.sp >zb.pred
grep -v '^#' "$D/valid.txt" | sed 's/ #.*//' | senti-predict -m net.m >ob.pred
cut -f1,2 zb.pred >zb12
same zb12 ob.pred "--zero-based: the same predictions"
expect_fail 1 '^senti-predict: zb.sp:[0-9]+: index 0 \(indices start at 1\); a zero-based file\? \(--zero-based\)$' \
    "a zero-based file without --zero-based: the message names the option" senti-predict -m net.m zb.sp
printf '1 60:1\n' >zb60
expect_fail 1 "^senti-predict: zb60:1: zero-based index 60 not below the model's input dimension 60\$" \
    "--zero-based: index 60 is beyond a 60-input model" senti-predict -m net.m --zero-based zb60

# ------------------------------------------------------------------------
# refusals before any work
expect_fail 1 'standard input .* named for two inputs' "-m - with standard input as data" \
    senti-predict -m - - <net.m
run senti-predict -m net.m --sparsity nodir/sp "$D/valid.txt"
ok "--sparsity in a missing directory fails before any prediction" test "$rc" -eq 1 -a ! -s out
finish
