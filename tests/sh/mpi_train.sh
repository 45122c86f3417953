#!/usr/bin/env bash
# mpi_train.sh - senti-pretrain and senti-train data-parallel under mpirun
# (docs/scale.md): -np 1 gives the plain program's bytes; 2 ranks with
# synchronous gradient averaging (--sync-every 1) match 1 rank with the same
# global batch to float tolerance; repeated 2-rank runs give the same bytes,
# with gradient averaging and with local SGD (--sync-every 4); a bad line
# on rank 1 only ends the job with one line and exit 1 and leaves no model;
# --checkpoint/--resume under MPI give the uninterrupted bytes; SIGINT ends
# every rank and leaves no partial file; only rank 0 writes the log.
#
# Every rank reads all the data (docs/scale.md); a bad line is seen by
# every rank and reported once.  The equivalence of 2 ranks and 1 is checked
# without corruption noise (-n none): each rank draws its noise from
# streams of its own, so with noise the two runs see other corruptions.
. "$(dirname "$0")/lib.sh"
D=$F/dae

if ! command -v mpirun >/dev/null; then
    echo "mpi_train: mpirun not found (Debian openmpi-bin): skipped"
    echo "skipped: 0 passed, 0 failed"
    exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# (leaks are Open MPI's under mpirun; see dist.sh)
mpi() {
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 120 mpirun --oversubscribe -np "$@"
}
P="senti-pretrain -q -H 16 -l 0.05 -E 3 -s 5"
P0="$P -n none"
N="senti-train -q -H 8 -l 0.05 -E 3 -s 5"

# max |a - b| / max(1, |a|) over two files of numbers, field by field
maxdiff() {
    awk 'NR == FNR { a[FNR] = $0; next }
        { n = split(a[FNR], x, /[ \t]+/); split($0, y, /[ \t]+/)
          for (i = 1; i <= n; i++) {
              if (x[i] !~ /^-?[0-9.]/) continue
              d = x[i] - y[i]; if (d < 0) d = -d
              s = x[i] < 0 ? -x[i] : x[i]; if (s < 1) s = 1
              if (d / s > m) m = d / s
          } }
        END { printf "%.3g\n", m + 0 }' "$1" "$2"
}
within() { awk -v d="$1" -v t="$2" 'BEGIN { exit !(d <= t) }'; }

# ---- -np 1 is the plain program
$P -o "$T/p.plain" "$D/train.txt"
mpi 1 $P -o "$T/p.np1" "$D/train.txt"
same "$T/p.plain" "$T/p.np1" "senti-pretrain: mpirun -np 1 = the plain bytes"
$N -o "$T/n.plain" "$D/train.txt"
mpi 1 $N -o "$T/n.np1" "$D/train.txt"
same "$T/n.plain" "$T/n.np1" "senti-train: mpirun -np 1 = the plain bytes"

# ---- 2 ranks with synchronous gradient averaging = 1 rank, same global batch
for b in 10 32; do
    $P0 -b "$b" --sync-every 1 -o "$T/p1.$b" "$D/train.txt"
    mpi 2 $P0 -b "$b" --sync-every 1 -o "$T/p2.$b" "$D/train.txt"
    senti-encode -q -m "$T/p1.$b" "$D/valid.txt" >"$T/e1.$b"
    senti-encode -q -m "$T/p2.$b" "$D/valid.txt" >"$T/e2.$b"
    d=$(maxdiff "$T/e1.$b" "$T/e2.$b")
    ok "senti-pretrain -b $b: 2 ranks encode as 1 rank (max rel. diff $d)" within "$d" 1e-3
    $N -b "$b" --sync-every 1 -o "$T/n1.$b" "$D/train.txt"
    mpi 2 $N -b "$b" --sync-every 1 -o "$T/n2.$b" "$D/train.txt"
    senti-predict -q -m "$T/n1.$b" "$D/valid.txt" >"$T/q1.$b"
    senti-predict -q -m "$T/n2.$b" "$D/valid.txt" >"$T/q2.$b"
    d=$(maxdiff "$T/q1.$b" "$T/q2.$b")
    ok "senti-train -b $b: 2 ranks predict as 1 rank (max rel. diff $d)" within "$d" 1e-3
done
# (and the comparison can fail: another seed is far off)
$P0 -b 10 -s 6 --sync-every 1 -o "$T/p.s6" "$D/train.txt"
senti-encode -q -m "$T/p.s6" "$D/valid.txt" >"$T/e.s6"
d=$(maxdiff "$T/e1.10" "$T/e.s6")
ok "another seed differs beyond the tolerance ($d)" bash -c "! awk -v d=$d 'BEGIN { exit !(d <= 1e-3) }'"

# ---- repeated 2-rank runs: the same bytes
for k in 1 4; do
    mpi 2 $P --sync-every "$k" -o "$T/r1" "$D/train.txt" && mv "$T/r1" "$T/pa.$k"
    mpi 2 $P --sync-every "$k" -o "$T/r1" "$D/train.txt" && mv "$T/r1" "$T/pb.$k"
    same "$T/pa.$k" "$T/pb.$k" "senti-pretrain --sync-every $k: repeated 2-rank runs, same bytes"
    mpi 2 $N --sync-every "$k" -o "$T/r1" "$D/train.txt" && mv "$T/r1" "$T/na.$k"
    mpi 2 $N --sync-every "$k" -o "$T/r1" "$D/train.txt" && mv "$T/r1" "$T/nb.$k"
    same "$T/na.$k" "$T/nb.$k" "senti-train --sync-every $k: repeated 2-rank runs, same bytes"
done
ok "local SGD (--sync-every 4) is not gradient averaging" bash -c "! cmp -s '$T/pa.1' '$T/pa.4'"
expect_fail 2 'sync-every' "--sync-every 0 is misuse" senti-pretrain -o "$T/x" --sync-every 0 "$D/train.txt"

# ---- a bad line on rank 1 only: data line 1 (0-based; file line 3, after
# the header and data line 0)
{ head -n 2 "$D/train.txt"; echo "1 3:1 0:1"; tail -n +3 "$D/train.txt"; } >"$T/bad.txt"
bad_ln=$(grep -n '^1 3:1 0:1$' "$T/bad.txt" | cut -d: -f1)
for prog in "$P" "$N"; do
    name=${prog%% *}
    t0=$SECONDS
    expect_fail 1 "^$name: .*bad\.txt:$bad_ln: " "$name: bad line on rank 1: one line, exit 1" \
        mpi 2 $prog -o "$T/bad.model" "$T/bad.txt"
    ok "$name: bad line on rank 1: no hang ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -lt 60
    ok "$name: bad line on rank 1: no model, no temporary file" test -z "$(ls "$T" | grep '^bad\.model')"
done
expect_fail 1 "^senti-pretrain: .*no-such: " "missing input: one line (every rank sees it)" \
    mpi 2 $P -o "$T/m" "$T/no-such"
run mpi 2 $P --bogus -o "$T/m" "$D/train.txt"
ok "unknown option under mpirun: exit 2" test "$rc" -eq 2
ok "unknown option under mpirun: two lines (message, --help pointer), once" test "$(wc -l <"$T/err")" -eq 2

# ---- checkpoint and resume under MPI: the uninterrupted bytes
for prog in "$P" "$N"; do
    name=${prog%% *}
    mpi 2 $prog -E 4 --sync-every 2 --checkpoint "$T/ck.full" -o "$T/full" "$D/train.txt"
    mpi 2 $prog -E 4 --sync-every 2 --checkpoint "$T/ck" --stop-after 2 -o "$T/half" "$D/train.txt"
    ok "$name: --stop-after 2 under MPI writes no model" test ! -e "$T/half"
    mpi 2 $prog -E 4 --sync-every 2 --checkpoint "$T/ck" --resume -o "$T/half" "$D/train.txt"
    same "$T/full" "$T/half" "$name: resume under MPI = the uninterrupted bytes"
    rm -f "$T/full" "$T/half" "$T/ck" "$T/ck.full"
done

# ---- only rank 0 writes: one log, one header
mpi 2 $P --log "$T/log.tsv" -o "$T/lg" "$D/train.txt"
ok "the log has one header" test "$(grep -c '^epoch' "$T/log.tsv")" -eq 1
ok "the log has one line per epoch" test "$(grep -c '^[0-9]' "$T/log.tsv")" -eq 3

# ---- SIGINT to mpirun: every rank ends, no partial file
awk '{ for (i = 0; i < 200; i++) print }' "$D/train.txt" >"$T/big.txt"
mkdir "$T/o"
# (Open MPI sends SIGTERM, then SIGKILL after odls_base_sigkill_timeout,
# 1 s by default: too short for a rank to be scheduled on a loaded machine)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 OMPI_MCA_odls_base_sigkill_timeout=10 \
    mpirun --oversubscribe -np 2 senti-pretrain -q -H 64 -E 1000 -o "$T/o/model" "$T/big.txt" 2>"$T/int.err" &
mp=$!
for _ in $(seq 100); do ls -A "$T/o" | grep -q . && break; sleep 0.1; done
sleep 1
kill -INT "$mp"
( sleep 30; kill -KILL "$mp" 2>/dev/null ) & dog=$!
wait "$mp"; rc=$?
kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
ok "SIGINT: mpirun ends with a failure status ($rc)" test "$rc" -ne 0 -a "$rc" -ne 137
ok "SIGINT: no model and no temporary file" test -z "$(ls -A "$T/o")"
# ---- --sync-rows: only the input rows used since the last average are
# sent; the others are equal on every rank, so the result is the dense one
for prog in "$P -n mask:0.2" "$N --in-drop 0.2"; do
    name=${prog%% *}
    mpi 2 $prog --sync-every 3 -o "$T/dense" "$D/train.txt"
    mpi 2 $prog --sync-every 3 --sync-rows -o "$T/rows" "$D/train.txt"
    if [ "$name" = senti-pretrain ]; then
        senti-encode -q -m "$T/dense" "$D/valid.txt" | tail -n +2 >"$T/o.dense"
        senti-encode -q -m "$T/rows" "$D/valid.txt" | tail -n +2 >"$T/o.rows"
    else
        senti-predict -q -m "$T/dense" "$D/valid.txt" >"$T/o.dense"
        senti-predict -q -m "$T/rows" "$D/valid.txt" >"$T/o.rows"
    fi
    same "$T/o.dense" "$T/o.rows" "$name --sync-rows: the bytes of the dense average"
done

finish
