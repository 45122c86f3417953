#!/usr/bin/env bash
# outputs.sh - the run's files (lib/cli): what an output path may be and
# when it is checked.
#   - a symbolic link (also to /proc/self/fd/1, and /dev/stdout itself) is
#     followed and stays a link; a pipe behind it is written straight to;
#   - beyond `ulimit -f` a write fails with one line, exit 1, no temporary
#     file (SIGXFSZ ignored);
#   - every output is checked before any input is read: a missing
#     directory, an empty name, a name longer than NAME_MAX fail at once
#     (the input is a FIFO nobody writes to: reading it would hang), a
#     250-byte name works;
#   - outputs that collide with each other or with an input, and standard
#     input (or one pipe) named for two inputs, are refused before anything
#     is written;
#   - closed descriptors 0, 1, 2 get /dev/null: no --log file becomes
#     stderr, no output file becomes stdout;
#   - senti-split's --train and --test land together or not at all;
#   - SIGHUP removes the temporary files as SIGINT and SIGTERM do.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
D=$F/dae

cp "$D/train.txt" sp
cp "$D/valid.txt" va
senti-pretrain -q -H 4 -E 1 -o layer.m sp
senti-train -q -E 1 -H 4 -o net.m sp
printf '5\tThe movie was great\n1\tbad plot, bad cast\n' >tsv
senti-tokenize tsv >tok
senti-vocab tok >voc
printf 'the\n' >stop

no_temps() { # description
    local left
    left=$(find "$T" -name '*.tmp*' | head -3)
    [ -z "$left" ] || { echo "  left behind: $left" >&2; find "$T" -name '*.tmp*' -delete; }
    t_result "$([ -z "$left" ] && echo 0 || echo 1)" "$1"
}
is_model() { senti-inspect "$1" >/dev/null 2>&1; }
is_link_to() { [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ]; }

# ------------------------------------------------------------------------
# D1: a link is followed, never replaced
ln -s /proc/self/fd/1 out.link
senti-train -q -E 1 -o out.link sp >cap.m
ok "senti-train -o LINK-to-/proc/self/fd/1: the link stays" is_link_to out.link /proc/self/fd/1
ok "senti-train -o LINK-to-/proc/self/fd/1: the model is in stdout's file" is_model cap.m
links_ok=0
is_link_to out.link /proc/self/fd/1 || links_ok=1

for opt in --log --checkpoint; do
    rm -f cap
    senti-train -q -E 2 -o m.$opt "$opt" out.link sp >cap
    ok "senti-train $opt LINK: the link stays" is_link_to out.link /proc/self/fd/1
    ok "senti-train $opt LINK: written to stdout's file" test -s cap
done
rm -f cap
senti-pretrain -q -H 4 -E 1 -o out.link sp >cap
ok "senti-pretrain -o LINK: the link stays" is_link_to out.link /proc/self/fd/1
ok "senti-pretrain -o LINK: the layer is in stdout's file" is_model cap
senti-pretrain -q -H 4 -E 2 --checkpoint out.link -o l2.m sp >cap
ok "senti-pretrain --checkpoint LINK: the link stays" is_link_to out.link /proc/self/fd/1
senti-split -k 3 --train out.link --test te sp >cap
senti-split -k 3 -p train sp >want
ok "senti-split --train LINK: the link stays" is_link_to out.link /proc/self/fd/1
same cap want "senti-split --train LINK: the train part in stdout's file"
senti-predict -m net.m --sparsity out.link sp >cap 2>/dev/null
ok "senti-predict --sparsity LINK: the link stays" is_link_to out.link /proc/self/fd/1
ok "senti-predict --sparsity LINK: the table in stdout's file" grep -q '^layer' cap
senti-predict -m net.m sp >want
ok "senti-predict --sparsity LINK: after the predictions (written through stdout)" \
    cmp -s want <(head -n "$(wc -l <want)" cap)

# a link to a regular file, a chain of links, a dangling link
: >real.m
ln -s real.m l1
ln -s l1 l2
senti-train -q -E 1 -o l2 sp
ok "-o a chain of links: both links stay" bash -c 'is_link() { [ -L "$1" ]; }; is_link l1 && is_link l2'
ok "-o a chain of links: the model is in the file at the end" is_model real.m
mkdir sub sub2
ln -s ../sub/new.m sub2/dangling
senti-train -q -E 1 -o sub2/dangling sp
ok "-o a dangling link: the link stays" is_link_to sub2/dangling ../sub/new.m
ok "-o a dangling link: the model is created where it points" is_model sub/new.m
senti-split -k 3 --train sub/tr --test te sp
ln -s sub/tr trlink
senti-split -k 3 -s 2 --train trlink --test te sp
senti-split -k 3 -s 2 -p train sp >want
same sub/tr want "senti-split --train LINK: the target holds the new part"

# a pipe behind the link, or behind /dev/stdout: written straight through
senti-train -q -E 1 -o out.link sp | cat >piped.m
ok "-o LINK to a pipe: the model comes through the pipe" is_model piped.m
ok "-o LINK to a pipe: the link stays" is_link_to out.link /proc/self/fd/1
no_temps "links: no temporary file left"

# /dev/stdout and /dev/stderr themselves.  As root, a broken build would
# replace the machine's /dev/stdout: so the cases run in a private mount
# namespace with a /dev of their own when unshare(1) can make one, else on
# the real /dev only when the links above stayed links.
cat >devcase.sh <<'EOF2'
set -u
if [ "${1:-}" = ns ]; then
    mount -t tmpfs none /dev || exit 3
    ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr
fi
r=0
senti-train -q -E 1 -o /dev/stdout sp >model.out || r=1
senti-inspect model.out >inspect.out 2>&1 || { echo "-o /dev/stdout > FILE: no model in FILE" >&2; r=1; }
senti-train -q -E 1 -o /dev/stdout sp | cat >model.pipe
senti-inspect model.pipe >inspect.out 2>&1 || { echo "-o /dev/stdout | cat: no model" >&2; r=1; }
senti-split -k 3 -p train sp >want
senti-split -k 3 --train /dev/stderr --test te sp 2>cap >te.out || r=1
cmp -s cap want || { echo "--train /dev/stderr: not the train part" >&2; r=1; }
[ -L /dev/stdout ] && [ "$(readlink /dev/stdout)" = /proc/self/fd/1 ] || { echo "/dev/stdout replaced" >&2; r=1; }
[ -L /dev/stderr ] && [ "$(readlink /dev/stderr)" = /proc/self/fd/2 ] || { echo "/dev/stderr replaced" >&2; r=1; }
ls /dev/stdout.tmp* /dev/stderr.tmp* >ls.out 2>&1 && { echo "temporary files in /dev" >&2; r=1; }
exit $r
EOF2
if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
    ok "-o /dev/stdout, --train /dev/stderr (own /dev): links kept, data through them" \
        unshare -m --propagation private bash devcase.sh ns
elif [ "$links_ok" -eq 0 ] && [ -L /dev/stdout ]; then
    ok "-o /dev/stdout, --train /dev/stderr: links kept, data through them" bash devcase.sh
else
    t_result 1 "-o /dev/stdout not tried: a link was replaced above"
fi

# ------------------------------------------------------------------------
# D3: the file size limit: one line, exit 1, no temporary file
efbig() { # description command...
    local d=$1
    shift
    (ulimit -f 8; "$@") >/dev/null 2>"$T/err"
    rc=$?
    local r=0
    [ "$rc" -eq 1 ] || { echo "  exit $rc, wanted 1" >&2; r=1; }
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q 'File too large$' "$T/err" || {
        sed 's/^/  | /' "$T/err" | head -3 >&2
        r=1
    }
    t_result $r "$d"
    no_temps "$d: no temporary file"
}
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d 1:1 2:0.5 3:1 4:0.25\n", 1 + i % 5 }' >big.sp
efbig "ulimit -f: senti-train -o" senti-train -q -E 1 -H 100 -o big.m sp
efbig "ulimit -f: senti-pretrain -o" senti-pretrain -q -H 100 -E 1 -o big.m sp
efbig "ulimit -f: senti-pretrain --checkpoint" senti-pretrain -q -H 100 -E 2 --checkpoint ck.big -o big.m sp
efbig "ulimit -f: senti-train --checkpoint" senti-train -q -E 2 -H 100 --checkpoint ck.big -o big.m sp
efbig "ulimit -f: senti-split --train" senti-split -k 3 --train tr.big --test te.big big.sp
efbig "ulimit -f: senti-cat to a file" bash -c 'senti-cat big.sp >cat.big'
ok "ulimit -f: no output file appeared" bash -c '! ls big.m ck.big tr.big te.big >/dev/null 2>&1'

# ------------------------------------------------------------------------
# D4: every output checked before any input is read.  The input is a FIFO
# that nobody writes to: a program that opens it before failing hangs
# (and is stopped by timeout, exit 124).
mkfifo never
at_once() { # code regex description command...
    local code=$1 re=$2 d=$3
    shift 3
    expect_fail "$code" "$re" "$d" timeout 10 "$@"
}
long=$(printf 'n%.0s' {1..256})
for p in "senti-train -q -E 300" "senti-pretrain -q -H 4 -E 300"; do
    n=${p%% *}
    at_once 1 'nodir/m: cannot create temporary file' "$n -o in a missing directory: at once" $p -o nodir/m never
    at_once 2 'empty' "$n -o '': at once" $p -o '' never
    at_once 1 'File name too long' "$n -o NAME longer than NAME_MAX: at once" $p -o "$long" never
    at_once 1 'nodir/l: cannot create temporary file' "$n --log in a missing directory: at once" \
        $p --log nodir/l -o m never
    at_once 1 'nodir/c: cannot create temporary file' "$n --checkpoint in a missing directory: at once" \
        $p --checkpoint nodir/c -o m never
done
at_once 1 'nodir/t: cannot create temporary file' "senti-split --test in a missing directory: at once" \
    senti-split --train tr --test nodir/t never
at_once 1 'nodir/s: cannot create temporary file' "senti-predict --sparsity in a missing directory: at once" \
    senti-predict -m net.m --sparsity nodir/s never
at_once 1 'Is a directory' "senti-split --train DIR: at once" senti-split --train sub never
name=$(printf 'a%.0s' {1..250})
ok "senti-train -o a 250-byte name" senti-train -q -E 1 -o "$name" sp
ok "  ... holds the model" is_model "$name"
ok "senti-split --train a 250-byte name" senti-split --train "$name" --test te sp
no_temps "early checks: no temporary file left"
ok "early checks: nothing created" bash -c '! ls m nodir "'"$long"'" >/dev/null 2>&1'

# ------------------------------------------------------------------------
# collisions, refused before anything is written
cp sp sp.orig
collide() { # regex description command...
    local re=$1 d=$2
    shift 2
    expect_fail 1 "$re" "$d" timeout 10 "$@"
    ok "$d: nothing written" bash -c '! ls X Y >/dev/null 2>&1'
}
collide 'X: named for two outputs' "senti-train --log X --checkpoint X" senti-train -q --log X --checkpoint X -o m never
collide 'X: named for two outputs' "senti-train --checkpoint X -o X" senti-train -q --checkpoint X -o X never
collide 'X: named for two outputs' "senti-train --log X -o X" senti-train -q --log X -o X never
collide 'X: named for two outputs' "senti-pretrain --log X --checkpoint X" senti-pretrain -q --log X --checkpoint X -o m never
collide 'X: named for two outputs' "senti-pretrain --checkpoint X -o X" senti-pretrain -q --checkpoint X -o X never
collide 'X: named for two outputs' "senti-split --train X --test X" senti-split --train X --test X never
ln -s X Y
collide 'Y: the same file as the output X' "senti-split --train X --test LINK-to-X" senti-split --train X --test Y never
rm Y
: >X
ln X Y
expect_fail 1 'Y: the same file as the output X' "senti-train -o X --log HARDLINK-to-X" \
    timeout 10 senti-train -q -o X --log Y never
ok "senti-train -o X --log HARDLINK-to-X: X is left as it was" test ! -s X
rm -f X Y
ok "senti-train -o - --log - refused" bash -c '! senti-train -q -E 1 -o - --log - sp >/dev/null 2>&1'
ok "outputs to /dev/null may be named twice" senti-train -q -E 1 -o /dev/null --log /dev/null --checkpoint /dev/null sp

sp_kept() { same sp sp.orig "$1: the input is unchanged"; }
expect_fail 1 'sp: both an input and an output' "senti-train -o INPUT" senti-train -q -E 1 -o sp sp
sp_kept "senti-train -o INPUT"
expect_fail 1 'sp: both an input and an output' "senti-pretrain -o INPUT" senti-pretrain -q -H 4 -E 1 -o sp sp
sp_kept "senti-pretrain -o INPUT"
expect_fail 1 'va: both an input and an output' "senti-train -o VALID" senti-train -q -E 1 --valid va -o va sp
expect_fail 1 'va: both an input and an output' "senti-pretrain --log VALID" \
    senti-pretrain -q -H 4 -E 1 --valid va --log va -o m sp
expect_fail 1 'sp: both an input and an output' "senti-train --log INPUT" senti-train -q -E 1 --log sp -o m sp
expect_fail 1 'sp: both an input and an output' "senti-train --checkpoint INPUT" \
    senti-train -q -E 1 --checkpoint sp -o m sp
sp_kept "senti-train --log/--checkpoint INPUT"
cp layer.m layer.orig
expect_fail 1 'layer.m: both an input and an output' "senti-train -o the --init layer" \
    senti-train -q -E 1 -i layer.m -o layer.m sp
expect_fail 1 'layer.m: both an input and an output' "senti-pretrain -o the --init layer" \
    senti-pretrain -q -H 4 -E 1 --init layer.m -o layer.m sp
same layer.m layer.orig "-o the --init layer: the layer is unchanged"
expect_fail 1 'net.m: both an input and an output' "senti-predict --sparsity MODEL" \
    senti-predict -m net.m --sparsity net.m sp
expect_fail 1 'sp: both an input and an output' "senti-predict --sparsity INPUT" \
    senti-predict -m net.m --sparsity sp sp
expect_fail 1 'sp: both an input and an output' "senti-split --test INPUT" senti-split --train tr --test sp sp
sp_kept "senti-split --test INPUT"
printf 'a\nb\n' >grp
expect_fail 1 'grp: both an input and an output' "senti-split --train the --groups file" \
    senti-split --train grp --test te -g grp sp
ln sp sp.hard
ln -s sp sp.sym
expect_fail 1 'sp: the same file as the output sp.hard' "senti-train -o HARDLINK-to-input" \
    senti-train -q -E 1 -o sp.hard sp
expect_fail 1 'sp: the same file as the output sp.sym' "senti-train -o SYMLINK-to-input" \
    senti-train -q -E 1 -o sp.sym sp
expect_fail 1 '\(stdin\): the same file as the output sp' "senti-train -o FILE < FILE" \
    bash -c 'senti-train -q -E 1 -o sp <sp'
sp_kept "links to the input as -o"
no_temps "collisions: no temporary file left"
cp sp.orig sp # (so that a failure above does not spoil the cases below)
cp layer.orig layer.m

# D10: standard input, or one pipe, named for two inputs
twice='standard input .* named for two inputs'
expect_fail 1 "$twice" "senti-predict -m - < MODEL" bash -c 'senti-predict -m - <net.m'
expect_fail 1 "$twice" "senti-encode -m - < LAYER" bash -c 'senti-encode -m - <layer.m'
expect_fail 1 "$twice" "senti-tokenize -S - < TSV" bash -c 'senti-tokenize -S - <tsv'
expect_fail 1 "$twice" "senti-pretrain --valid - < SP" bash -c 'senti-pretrain -q -H 4 -E 1 --valid - -o m <sp'
expect_fail 1 "$twice" "senti-train --valid - < SP" bash -c 'senti-train -q -E 1 --valid - -o m <sp'
expect_fail 1 "$twice" "senti-bow -v - < VOCAB" bash -c 'senti-bow -v - <voc'
expect_fail 1 "$twice" "senti-split -g - < SP" bash -c 'senti-split -g - <sp'
expect_fail 1 "$twice" "senti-eval -a - < PRED" bash -c 'printf "5\t4\n" | senti-eval -a - -'
expect_fail 1 "$twice" "senti-cat - -" bash -c 'senti-cat - - <sp'
expect_fail 1 "$twice" "senti-inspect - -" bash -c 'senti-inspect - - <net.m'
expect_fail 1 'the same pipe as the input' "senti-cat - /dev/stdin from a pipe" \
    bash -c 'cat sp | senti-cat - /dev/stdin'
ok "a regular file may be read twice" senti-cat sp sp
ok "senti-cat sp sp gives both copies" test "$(senti-cat sp sp | grep -vc '^#')" -eq "$((2 * $(grep -vc '^#' sp)))"

# ------------------------------------------------------------------------
# D12: closed standard descriptors
senti-pretrain -H 4 -E 2 --log L -o m.l sp 2>&-
ok "senti-pretrain 2>&-: exit 0" test $? -eq 0
ok "senti-pretrain 2>&-: the --log holds only its table" test "$(grep -vc '^[0-9e]' L)" -eq 0
ok "senti-pretrain 2>&-: the --log has its 3 lines" test "$(wc -l <L)" -eq 3
senti-train -E 2 --log L2 -o m.l2 sp 2>&-
ok "senti-train 2>&-: the --log holds only its table" test "$(grep -vc '^[0-9e]' L2)" -eq 0
rm -f S
senti-predict -m net.m --sparsity S sp >&- 2>err
ok "senti-predict >&-: exit 1" test $? -eq 1
ok "senti-predict >&-: a write error on standard output" grep -q 'write error on standard output: Bad file descriptor' err
ok "senti-predict >&-: the --sparsity file is not written" test ! -e S
senti-split --train tr.c --test te.c sp >&-
ok "senti-split >&-: --train/--test written" test -s tr.c -a -s te.c
expect_fail 1 'read error: Bad file descriptor' "senti-cat <&-: a read error" bash -c 'senti-cat <&-'
no_temps "closed descriptors: no temporary file left"

# ------------------------------------------------------------------------
# D13: --train and --test of one run land together or not at all
senti-split -k 3 -s 1 --train tr --test te sp
cp tr tr.1
cp te te.1
awk 'NR <= 20' sp >small
expect_fail 1 '/dev/full: write error' "senti-split --test /dev/full" senti-split -k 3 -s 2 --train tr --test /dev/full small
same tr tr.1 "senti-split --test fails: --train left as it was"
(ulimit -f 1; senti-split -r 0.1 -s 2 --train tr --test te big.sp) 2>err
ok "senti-split --test beyond ulimit -f: exit 1" test $? -eq 1
same tr tr.1 "senti-split --test beyond ulimit -f: --train left as it was"
same te te.1 "senti-split --test beyond ulimit -f: --test left as it was"
no_temps "senti-split: no temporary file left"
# SIGINT at random moments: both parts old, or both new
awk 'BEGIN { srand(3); for (i = 0; i < 300000; i++) printf "%d %d:1 %d:1\n", 1 + i % 5, 1 + int(rand() * 50), 51 + int(rand() * 50) }' >huge
senti-split -k 3 -s 1 --train tr --test te huge
cp tr tr.1 && cp te te.1
senti-split -k 3 -s 2 --train tr.2 --test te.2 huge
mixed=0 new=0
for d in 0.05 0.1 0.15 0.2 0.25 0.3 0.35 0.4 0.5 0.6; do
    cp tr.1 tr && cp te.1 te
    senti-split -k 3 -s 2 --train tr --test te huge &
    pid=$!
    sleep "$d"
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    if cmp -s tr tr.1 && cmp -s te te.1; then :
    elif cmp -s tr tr.2 && cmp -s te te.2; then new=$((new + 1))
    else mixed=$((mixed + 1)); fi
done
ok "senti-split under SIGINT: never a new part beside an old one" test "$mixed" -eq 0
no_temps "senti-split under SIGINT: no temporary file left"

# ------------------------------------------------------------------------
# SIGHUP, as SIGINT and SIGTERM: temporary files removed, the program dies
# of the signal
senti-train -q -E 1000000 -H 32 -o hup.m --log hup.log big.sp &
pid=$!
sleep 1
kill -HUP "$pid"
{ wait "$pid"; } 2>/dev/null
ok "SIGHUP: senti-train dies of it (exit 129)" test $? -eq 129
ok "SIGHUP: no model, no log" bash -c '! ls hup.m hup.log >/dev/null 2>&1'
no_temps "SIGHUP: no temporary file left"

# ------------------------------------------------------------------------
# options that would be ignored are refused
expect_fail 2 'ratio and --folds exclude' "senti-split -r 0.5 -k 3" senti-split -r 0.5 -k 3 sp
expect_fail 2 'ratio and --fold exclude' "senti-split -r 0.5 -f 2" senti-split -r 0.5 -f 2 sp
finish
