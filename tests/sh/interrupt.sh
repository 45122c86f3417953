#!/usr/bin/env bash
# interrupt.sh - interrupted training loses nothing: senti-train's
# --checkpoint/--resume give the same model bytes as an uninterrupted run
# (plain, hidden layers with dropout, pretrained layers, early stopping on
# validation data, the --log); --resume refuses other options or data; and
# SIGINT or SIGTERM at any moment of senti-pretrain or senti-train leaves
# the -o target absent (or the previous model) or complete, no temporary
# file, and a checkpoint that resumes to the uninterrupted result.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# 600 rows over 200 features: rating = 1 + (number of features < 20) % 5
awk 'BEGIN {
    srand(7); print "# senti sparse dim=200"
    for (i = 0; i < 600; i++) {
        k = 0; line = ""; good = 0
        for (j = 1; j <= 200; j++) if (rand() < 0.08) { line = line " " j ":1"; if (j < 20) good++ }
        print 1 + good % 5 line
    } }' >data
head -480 data >tr
{ head -1 data; tail -120 data; } >va
senti-pretrain -q -H 16 -E 2 -o layer tr

# ------------------------------------------------------------------------
# senti-train: stopped and resumed (twice) = uninterrupted, byte for byte
resume_case() { # name options...
    local name=$1
    shift
    mkdir -p "ref.$name" "ck.$name"
    (cd "ref.$name" && senti-train -q "$@" --log log -o m ../tr)
    (
        cd "ck.$name" || exit 1
        senti-train -q "$@" --log log --checkpoint ck --stop-after 2 -o m ../tr &&
            test ! -e m &&
            senti-train -q "$@" --log log --checkpoint ck --resume --stop-after 1 -o m ../tr &&
            test ! -e m &&
            senti-train -q "$@" --log log --checkpoint ck --resume -o m ../tr
    )
    t_result $? "senti-train $name: stopped twice and resumed"
    same "ref.$name/m" "ck.$name/m" "senti-train $name: resumed model = uninterrupted model"
    cut -f 1,3- "ref.$name/log" >"ref.$name/log.c"
    cut -f 1,3- "ck.$name/log" >"ck.$name/log.c"
    same "ref.$name/log.c" "ck.$name/log.c" "senti-train $name: the --log is complete"
}
resume_case plain -E 6 -l 0.05
resume_case hidden -E 6 -H 12,6 --drop 0.2 --in-drop 0.1 --l2 0.001 --decay 0.3
resume_case init -E 5 -i ../layer --l1 0.001
resume_case valid -E 12 -H 8 -v ../va -p 2 -l 0.3
ok "senti-train valid: early stopping happened" test "$(wc -l <ref.valid/log)" -lt 13
resume_case freeze -E 4 -i ../layer --freeze -v ../va
# stopped after epoch 2 (the last frozen one) and 3 (the first trained one)
resume_case warm -E 5 -i ../layer --warm 2 -v ../va

# a checkpoint of a finished run only writes the model
(cd ck.plain && rm m && senti-train -q -E 6 -l 0.05 --log log --checkpoint ck --resume -o m ../tr)
same ref.plain/m ck.plain/m "senti-train: resuming a finished checkpoint writes the same model"
# more epochs than before continue the same run
(cd ref.plain && senti-train -q -E 8 -l 0.05 --log log -o m8 ../tr)
(cd ck.plain && senti-train -q -E 8 -l 0.05 --log log --checkpoint ck --resume -o m8 ../tr)
same ref.plain/m8 ck.plain/m8 "senti-train: --resume with more --epochs continues the run"

# what the checkpoint is, and what --resume refuses
run senti-inspect ck.valid/ck
ok "senti-inspect: a checkpoint" grep -q '^kind      checkpoint$' out
ok "senti-inspect: current and best parameters (2 sets)" grep -q '^layers    2$' out
cd ck.plain || exit 1
expect_fail 1 '^senti-train: --resume: --lr is 0.1 here but 0.05 in the checkpoint ck$' "--resume with another --lr" \
    senti-train -q -E 6 -l 0.1 --checkpoint ck --resume -o x ../tr
expect_fail 1 '^senti-train: --resume: --seed is 2 here but 1 in the checkpoint ck$' "--resume with another --seed" \
    senti-train -q -E 6 -l 0.05 -s 2 --checkpoint ck --resume -o x ../tr
expect_fail 1 '^senti-train: --resume: --warm is 3 here but 2 in the checkpoint ../ck.warm/ck$' "--resume with another --warm" \
    senti-train -q -E 5 -i ../layer --warm 3 -v ../va --checkpoint ../ck.warm/ck --resume -o x ../tr
expect_fail 1 '^senti-train: --resume: the training data differ' "--resume with other data" \
    senti-train -q -E 6 -l 0.05 --checkpoint ck --resume -o x ../va
expect_fail 1 '^senti-train: --resume: --hidden is 4 here but none in the checkpoint ck$' "--resume with hidden layers added" \
    senti-train -q -E 6 -l 0.05 -H 4 --checkpoint ck --resume -o x ../tr
expect_fail 1 '^senti-train: --resume: the validation data differ' "--resume with --valid added" \
    senti-train -q -E 6 -l 0.05 -v ../va --checkpoint ck --resume -o x ../tr
expect_fail 1 '^senti-train: ../layer: a layer model, not a checkpoint$' \
    "--resume from a layer model" senti-train -q -E 6 --checkpoint ../layer --resume -o x ../tr
expect_fail 1 '^senti-train: nosuch: No such file or directory$' "--resume without a checkpoint" \
    senti-train -q -E 6 --checkpoint nosuch --resume -o x ../tr
expect_fail 2 '^senti-train: --resume needs --checkpoint FILE$' "--resume alone" senti-train -q --resume -o x ../tr
expect_fail 2 '^senti-train: --stop-after needs --checkpoint FILE$' "--stop-after alone" senti-train -q --stop-after 1 -o x ../tr
head -c 300 ck >ck.short
expect_fail 1 '^senti-train: ck.short: truncated at byte 300' "--resume from a truncated checkpoint" \
    senti-train -q -E 6 -l 0.05 --checkpoint ck.short --resume -o x ../tr
# crafted checkpoints: a field of the trainer state (key=value text in the
# file) changed to another of the same length, and the checksum made right
# again (a flipped byte alone is a checksum mismatch)
craft() { # in out old new: the first "old" of in, a field at the start of a line, replaced by "new" (same length), resealed
    local o
    o=$(grep -obUaP -- "(?<![_a-z])\Q$3\E" "$1" | head -1 | cut -d: -f1)
    [ -n "$o" ] && [ ${#3} -eq ${#4} ] || { echo "  craft: '$3' not in $1" >&2; return 1; }
    cp "$1" "$2" && printf '%s' "$4" | dd of="$2" bs=1 seek="$o" conv=notrunc status=none && reseal "$2"
}
value() { grep -aom1 "^$2=[^ ]*" "$1" | cut -d= -f2; } # file key: a state field's value
craft ck ck.far epoch=8 epoch=9
expect_fail 1 '^senti-train: --resume: ck.far is after epoch 9, beyond --epochs 8$' \
    "--resume: a crafted epoch beyond --epochs is refused before any replay" \
    timeout 20 senti-train -q -E 8 -l 0.05 --checkpoint ck.far --resume -o x ../tr
craft ck ck.stop stopped=0 stopped=7
expect_fail 1 '^senti-train: ck.stop: bad trainer state: a bad value$' \
    "--resume: a crafted stop flag" senti-train -q -E 8 -l 0.05 --checkpoint ck.stop --resume -o x ../tr
craft ck ck.old 'senti-trainer-state 1' 'NETTRN02NETTRN02NETTR'
expect_fail 1 '^senti-train: ck.old: a checkpoint of an older senti \(before the common trainer state\): train again without --resume$' \
    "--resume: a checkpoint of an older trainer state" senti-train -q -E 8 -l 0.05 --checkpoint ck.old --resume -o x ../tr
sh=$(value ck rng.shuffle)
if [ "${sh: -1}" = 0 ]; then d=1; else d=0; fi
craft ck ck.shuf "rng.shuffle=$sh" "rng.shuffle=${sh%?}$d"
expect_fail 1 '^senti-train: ck.shuf: the stored shuffling state does not follow from the seed \(corrupted checkpoint\?\)$' \
    "--resume: a shuffling state that the seed does not reach" senti-train -q -E 8 -l 0.05 --checkpoint ck.shuf --resume -o x ../tr
# the early-stopping state of a run with validation data: a best figure of
# NaN, -1 or 0 (with the checksum resealed) is not one any run reaches
cd ../ck.valid || exit 1
b=$(value ck best)
pad() { printf "%s%0$((${#b} - ${#1} - ${#2}))d%s" "$1" 0 "$2"; }
craft ck ck.nan "best=$b" "best=nan($(printf "%0$((${#b} - 5))d" 0))"
craft ck ck.neg "best=$b" "best=$(pad - 1)"
craft ck ck.zero "best=$b" "best=$(pad '' 0)"
for v in nan neg zero; do
    expect_fail 1 "^senti-train: ck.$v: bad trainer state: early-stopping fields that no run reaches$" \
        "--resume: a crafted best validation RMSE ($v)" senti-train -q -E 12 -H 8 -v ../va -p 2 -l 0.3 --checkpoint ck.$v --resume -o x ../tr
done
cd .. || exit 1
senti-pretrain -q -H 4 -E 2 --stop-after 1 --checkpoint pck -o x tr
craft pck pck.far epoch=1 epoch=9
expect_fail 1 '^senti-pretrain: --resume: pck.far is after epoch 9, beyond --epochs 2$' \
    "senti-pretrain --resume: a checkpoint past --epochs" senti-pretrain -q -H 4 -E 2 --checkpoint pck.far --resume -o x tr
expect_fail 1 '^senti-train: pck: a checkpoint of senti-pretrain, not of senti-train$' \
    "--resume from a senti-pretrain checkpoint" senti-train -q --checkpoint pck --resume -o x tr
expect_fail 1 '^senti-pretrain: ck.plain/ck: a checkpoint of senti-train, not of senti-pretrain$' \
    "senti-pretrain --resume from a senti-train checkpoint" senti-pretrain -q -H 4 -E 2 --checkpoint ck.plain/ck --resume -o x tr
# the model records the settings, not how they were spelled: another
# spelling, another -o path and another directory give the same bytes
mkdir -p spell
senti-train -q -E 3 -l 0.05 -H 6 -o m.a tr
(cd spell && senti-train --quiet --epochs=3 --lr=0.05 --hidden 6 --output other ../tr)
same m.a spell/other "senti-train: another spelling of the options, -o and directory: the same model bytes"
senti-pretrain -q -H 5 -E 2 -n mask:0.2 -o p.a tr
(cd spell && senti-pretrain --quiet --hidden=5 --epochs 2 --noise=mask:0.2 --output=p.other ../tr)
same p.a spell/p.other "senti-pretrain: another spelling, -o and directory: the same layer bytes"
ok "no temporary files" test -z "$(find . -name '*.tmp*')"

# ------------------------------------------------------------------------
# signals at any moment: the target is absent, the previous model or a
# complete one; no temporary file; the checkpoint resumes to the result of
# an uninterrupted run
big() { for _ in 1 2 3 4; do grep -v '^#' tr; done; }
big >tr4
mkdir -p sref
P_OPTS=(-q -H 48 -E 12 -b 8)
T_OPTS=(-q -H 64,32 -E 12 -b 4 -l 0.05)
(cd sref && senti-pretrain "${P_OPTS[@]}" --checkpoint ck -o m ../tr4 && cp m p.want)
(cd sref && senti-train "${T_OPTS[@]}" -o m ../tr4 && cp m t.want)

signal_case() { # tool SIG delay-in-seconds previous(0/1)
    local tool=$1 sig=$2 delay=$3 prev=$4 d="sig.$1.$2.$3.$4" want opts
    if [ "$tool" = senti-pretrain ]; then want=../sref/p.want opts=("${P_OPTS[@]}"); else want=../sref/t.want opts=("${T_OPTS[@]}"); fi
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        [ "$prev" = 1 ] && printf 'previous model\n' >m && cp m m.prev
        "$tool" "${opts[@]}" --checkpoint ck -o m ../tr4 2>err &
        pid=$!
        # wait for the first checkpoint (or the end), then the delay
        for _ in $(seq 500); do [ -e ck ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.01; done
        sleep "$delay"
        kill -s "$sig" $pid 2>/dev/null
        { wait $pid; } 2>/dev/null
        rc=$?
        r=0
        if [ $rc -eq 0 ]; then
            cmp -s m "$want" || { echo "  finished before the signal but m is wrong" >&2; r=1; }
        else
            [ $rc -gt 128 ] || { echo "  exit $rc, not killed by the signal" >&2; sed 's/^/  | /' err >&2; r=1; }
            if [ "$prev" = 1 ]; then
                # a signal after the rename but before exit finds the new model
                cmp -s m m.prev || cmp -s m "$want" || { echo "  the previous model changed" >&2; r=1; }
            else
                [ ! -e m ] || cmp -s m "$want" || { echo "  partial model left" >&2; r=1; }
            fi
        fi
        [ -z "$(find . -name '*.tmp*')" ] || { echo "  temporary files left: $(ls)" >&2; r=1; }
        [ -s err ] && [ $rc -eq 0 ] && { echo "  messages:" >&2; sed 's/^/  | /' err >&2; r=1; }
        if [ -e ck ]; then
            senti-inspect ck >/dev/null || { echo "  the checkpoint does not load" >&2; r=1; }
            "$tool" "${opts[@]}" --checkpoint ck --resume -o m ../tr4 2>/dev/null ||
                { echo "  resume failed" >&2; r=1; }
            cmp -s m "$want" || { echo "  resumed model differs from the uninterrupted one" >&2; r=1; }
        fi
        exit $r
    )
    t_result $? "$tool: $sig after ${delay}s (previous model: $prev)"
}
for tool in senti-pretrain senti-train; do
    signal_case $tool INT 0 0
    signal_case $tool TERM 0.05 1
    signal_case $tool INT 0.13 1
    signal_case $tool HUP 0.02 0
done

# A signal may land on any thread (the kernel pool's, OpenBLAS's); one that
# came while the main thread was between creating a temporary file and
# registering it once left ck.tmp* behind.  Many signals at spread-out
# moments of a 2-thread run that writes a checkpoint every few ms: no
# temporary file, ever.
awk 'NR == 1 || NR <= 121' tr >tr.small
mkdir -p race
left=0 runs=0
for i in $(seq 0 39); do
    (
        cd race || exit 1
        rm -f ./*
        senti-train -q -H 32,16 -E 100000 -b 4 -t 2 --checkpoint ck -o m ../tr.small 2>/dev/null &
        pid=$!
        # the handlers are in place once the first checkpoint exists
        for _ in $(seq 500); do [ -e ck ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.01; done
        sleep "0.$(printf '%03d' $((i * 7 % 200)))"
        kill -s INT $pid 2>/dev/null
        wait $pid 2>/dev/null
        [ -z "$(find . -name '*.tmp*')" ]
    ) || left=$((left + 1))
    runs=$((runs + 1))
done
ok "SIGINT at $runs moments of a 2-thread run: no temporary file left ($left runs left one)" test "$left" -eq 0
finish
