#!/usr/bin/env bash
# cli.sh - conventions every senti-* program follows: -h/--help on stdout
# with defaults in brackets and exit 0 (the same bytes), -V/--version, unknown options exit 2 with a
# pointer to --help, write errors reported (/dev/full), a closed pipe
# downstream is quiet.
. "$(dirname "$0")/lib.sh"

nprogs=0
for p in "$B"/senti-*; do
    n=$(basename "$p")
    nprogs=$((nprogs + 1))
    run "$p" --help
    ok "$n --help exits 0" test "$rc" -eq 0
    ok "$n --help starts with Usage" grep -q "^Usage: $n" "$T/out"
    ok "$n --help prints nothing on stderr" test ! -s "$T/err"
    cp "$T/out" "$T/help"
    run "$p" -h
    ok "$n -h exits 0, nothing on stderr" test "$rc" -eq 0 -a ! -s "$T/err"
    same "$T/out" "$T/help" "$n -h = --help"
    ok "$n --help lists -h" grep -q -- '-h, --help' "$T/help"
    ok "$n --help lists -V" grep -q -- '-V, --version' "$T/help"
    run "$p" --version
    ok "$n --version" grep -q "^$n (senti) [0-9]" "$T/out"
    cp "$T/out" "$T/version"
    run "$p" -V
    ok "$n -V exits 0, nothing on stderr" test "$rc" -eq 0 -a ! -s "$T/err"
    same "$T/out" "$T/version" "$n -V = --version"
    run "$p" --no-such-option
    ok "$n: unknown option exits 2" test "$rc" -eq 2
    ok "$n: unknown option points to --help" grep -q "Try '$n --help'" "$T/err"
    ok "$n --help to /dev/full fails" bash -c "! '$p' --help >/dev/full 2>/dev/null"
done

# every program of the toolkit is here (the 15 of today at least)
ok "all programs tried ($nprogs)" test "$nprogs" -ge 15

# defaults shown in --help come from the variables
senti-split --help | grep -q 'folds K .*\[10\]'
t_result $? "senti-split --help shows the default fold count"

# write errors on data output
seq 1 1000 | senti-split -k 2 -f 1 >/dev/full 2>"$T/err"; rc=$?
ok "write error exits 1" test "$rc" -eq 1
ok "write error reported" grep -q '^senti-split: write error on standard output' "$T/err"
printf '1 1:1\n' | senti-cat >/dev/full 2>"$T/err"; rc=$?
ok "senti-cat write error exits 1" test "$rc" -eq 1

# closed pipe downstream: quiet
awk 'BEGIN { for (i = 1; i <= 200000; i++) print "1 1:1 2:1 3:0.5" }' >"$T/big"
senti-cat "$T/big" 2>"$T/err" | head -1 >/dev/null
ok "closed pipe: no message" test ! -s "$T/err"
finish
