#!/usr/bin/env bash
# split.sh - senti-split: for every K and seed the test parts of all folds
# are exactly the input (each line once); train = input minus test;
# determinism; stratification; ratio splits; headers copied to every part.
. "$(dirname "$0")/lib.sh"

# input with duplicate lines and labels, and a header
{
    echo "# senti sparse dim=9"
    for i in $(seq 1 103); do echo "$((i % 4 + 1)) $((i % 9 + 1)):1 # line $i"; done
    echo "2 1:1 # dup"; echo "2 1:1 # dup"
} >"$T/in"
grep -v '^#' "$T/in" | sort >"$T/in.sorted"

bad_partition=0
for k in 2 3 7 10; do
    for seed in 1 2 99; do
        for strat in "" "--stratify"; do
            : >"$T/all"
            for f in $(seq 1 $k); do
                senti-split -k $k -f $f -s $seed $strat "$T/in" >"$T/test.$f" || bad_partition=1
                senti-split -k $k -f $f -s $seed $strat -p train "$T/in" >"$T/train.$f" || bad_partition=1
                grep -v '^#' "$T/test.$f" >>"$T/all"
                # train + test of one fold = the input
                cat "$T/test.$f" "$T/train.$f" | grep -v '^#' | sort | cmp -s - "$T/in.sorted" || bad_partition=1
                head -1 "$T/train.$f" | grep -q '^# senti sparse dim=9$' || bad_partition=1
            done
            sort "$T/all" | cmp -s - "$T/in.sorted" || { echo "K=$k seed=$seed $strat" >&2; bad_partition=1; }
        done
    done
done
t_result $bad_partition "test parts over all folds are exactly the input, for K in 2 3 7 10 and 3 seeds"

# fold sizes differ by at most one
sizes=$(for f in 1 2 3 4 5 6 7; do senti-split -k 7 -f $f "$T/in" | grep -vc '^#'; done | sort -n | sed -n '1p;$p' | tr '\n' ' ')
set -- $sizes
ok "fold sizes balanced ($sizes)" test $(($2 - $1)) -le 1

# determinism and seed dependence
senti-split -k 5 -f 2 -s 7 "$T/in" >"$T/a"
senti-split -k 5 -f 2 -s 7 <"$T/in" >"$T/b"
same "$T/a" "$T/b" "same seed, same output (file or stdin)"
senti-split -k 5 -f 2 -s 8 "$T/in" >"$T/c"
ok "another seed gives another split" bash -c "! cmp -s '$T/a' '$T/c'"

# input order is kept within a part
grep -v '^#' "$T/a" | sed 's/.*# line //;s/.*# dup/999/' >"$T/nums"
sort -n "$T/nums" | cmp -s - "$T/nums"
t_result $? "parts keep the input order"

# stratified folds keep the label proportions: each label's count per fold
# is floor or ceil of its share
strat_ok=0
for f in 1 2 3 4 5; do
    senti-split -k 5 -f $f --stratify "$T/in" | grep -v '^#' | cut -d' ' -f1 | sort | uniq -c >"$T/cnt.$f"
done
for lab in 1 2 3 4; do
    total=$(grep -v '^#' "$T/in" | cut -d' ' -f1 | grep -cx "$lab")
    for f in 1 2 3 4 5; do
        n=$(awk -v l=$lab '$2 == l {print $1}' "$T/cnt.$f"); n=${n:-0}
        lo=$((total / 5)); hi=$(((total + 4) / 5))
        { [ "$n" -ge "$lo" ] && [ "$n" -le "$hi" ]; } || { echo "label $lab fold $f: $n not in [$lo,$hi]" >&2; strat_ok=1; }
    done
done
t_result $strat_ok "stratified folds keep label proportions"

# ratio split: sizes, partition, both outputs at once
senti-split --ratio 0.8 -s 3 --train "$T/tr" --test "$T/te" "$T/in"
ntr=$(grep -vc '^#' "$T/tr"); nte=$(grep -vc '^#' "$T/te")
ok "ratio 0.8 of 105 gives 84 train ($ntr) and 21 test ($nte)" test "$ntr" -eq 84 -a "$nte" -eq 21
cat "$T/tr" "$T/te" | grep -v '^#' | sort | cmp -s - "$T/in.sorted"
t_result $? "ratio split partitions the input"
senti-split --ratio 0.8 -s 3 -p train "$T/in" >"$T/tr2"
same "$T/tr" "$T/tr2" "--train FILE equals --part train on stdout"

# lines without a final newline and CRLF pass through unchanged
printf 'a\r\nb\r\nc' | senti-split -k 2 -f 1 -s 1 >"$T/p1"
printf 'a\r\nb\r\nc' | senti-split -k 2 -f 2 -s 1 >"$T/p2"
cat "$T/p1" "$T/p2" | sort >"$T/p"
printf 'a\r\nb\r\nc\n' | sort >"$T/pw"
same "$T/p" "$T/pw" "CRLF kept, final newline added"

# --groups: whole groups go to one part.  Data line i's group is
# written into the line too, so parts can be checked for shared groups;
# group sizes 1..9, 40 groups, one group of 30 lines.
{
    echo "# senti sparse dim=9"
    for i in $(seq 1 200); do echo "$((i % 3 + 1)) $((i % 9 + 1)):1 # g$(((i * 7) % 40))"; done
    for i in $(seq 1 30); do echo "1 2:1 # gbig"; done
} >"$T/gin"
grep -v '^#' "$T/gin" | sed 's/.*# //' >"$T/groups"
grep -v '^#' "$T/gin" | sort >"$T/gin.sorted"
groups_ok=0
shared() { comm -12 <(grep -v '^#' "$1" | sed 's/.*# //' | sort -u) <(grep -v '^#' "$2" | sed 's/.*# //' | sort -u); }
for k in 2 3 7; do
    for seed in 1 5; do
        : >"$T/gall"
        for f in $(seq 1 $k); do
            senti-split -k $k -f $f -s $seed -g "$T/groups" --train "$T/gtr" --test "$T/gte" "$T/gin" || groups_ok=1
            grep -v '^#' "$T/gte" >>"$T/gall"
            [ -z "$(shared "$T/gtr" "$T/gte")" ] || { echo "K=$k seed=$seed fold $f: a group in both parts" >&2; groups_ok=1; }
            cat "$T/gtr" "$T/gte" | grep -v '^#' | sort | cmp -s - "$T/gin.sorted" || groups_ok=1
        done
        sort "$T/gall" | cmp -s - "$T/gin.sorted" || { echo "K=$k seed=$seed: folds are not the input" >&2; groups_ok=1; }
    done
done
t_result $groups_ok "--groups: no group in both parts; the test parts of all folds are the input"

# fold sizes: a group goes to the emptiest fold, so folds differ by at
# most the largest group (30) - and the big group's fold has no more
gsz=$(for f in 1 2 3; do senti-split -k 3 -f $f -s 2 -g "$T/groups" "$T/gin" | grep -vc '^#'; done | sort -n | tr '
' ' ')
set -- $gsz
ok "--groups folds balanced in lines ($gsz)" test $(($3 - $1)) -le 30 -a $(($1 + $2 + $3)) -eq 230

# ratio split with groups: train stops growing at the first group that
# reaches the wanted 0.8 * 230 = 184 lines
senti-split --ratio 0.8 -s 4 -g "$T/groups" --train "$T/gtr" --test "$T/gte" "$T/gin"
ntr=$(grep -vc '^#' "$T/gtr")
ok "--groups ratio 0.8: train has 184..213 of 230 lines ($ntr)" test "$ntr" -ge 184 -a "$ntr" -le 213
ok "--groups ratio: no group in both parts" test -z "$(shared "$T/gtr" "$T/gte")"
senti-split --ratio 0.8 -s 4 -g "$T/groups" "$T/gin" >"$T/ga"
senti-split --ratio 0.8 -s 4 -g "$T/groups" <"$T/gin" >"$T/gb"
same "$T/ga" "$T/gb" "--groups: same seed, same output"
same "$T/ga" "$T/gte" "--groups: stdout's test part equals --test FILE"
# one group per line: every line is its own group, still a partition
seq 1 230 >"$T/single"
for f in 1 2 3 4 5; do senti-split -k 5 -f $f -g "$T/single" "$T/gin" | grep -v '^#'; done | sort | cmp -s - "$T/gin.sorted"
t_result $? "--groups with a key per line partitions the input"
# group file of the wrong length, or with --stratify
head -5 "$T/groups" >"$T/short"
expect_fail 1 'short: 5 group lines for 230 data lines' 'too few group lines' senti-split -g "$T/short" "$T/gin"
{ cat "$T/groups"; echo extra; } >"$T/long"
expect_fail 1 'long:231: more group lines than the 230 data lines' 'too many group lines' senti-split -g "$T/long" "$T/gin"
expect_fail 2 'stratify and --groups do not go together' 'groups with stratify' senti-split -S -g "$T/groups" "$T/gin"
expect_fail 1 'nope' 'missing group file' senti-split -g "$T/nope" "$T/gin"

# misuse
expect_fail 2 'fold 4 is above --folds 3' 'fold above K' senti-split -k 3 -f 4 "$T/in"
expect_fail 2 "part: 'dev' is neither train nor test" 'bad part' senti-split -p dev "$T/in"
expect_fail 2 'ratio: 1.5 is out of range' 'bad ratio' senti-split --ratio 1.5 "$T/in"
# an empty input gives empty parts
run senti-split </dev/null
ok "empty input, empty output" test "$rc" -eq 0 -a ! -s "$T/out"
finish
