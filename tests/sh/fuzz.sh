#!/usr/bin/env bash
# fuzz.sh - the fuzzing smoke run of make check: builds the libFuzzer
# harnesses of tests/fuzz/ (clang, ASan + UBSan), replays their seeds and
# every crashing input kept in tests/fuzz/*/regress/, and fuzzes each for
# FUZZ_SMOKE_SECONDS (default 30).  It runs in the SAN=1 pass of make check
# only; `make fuzz` runs longer campaigns.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SMOKE_SECONDS:-30}
if [ "${SAN:-0}" != 1 ]; then
    echo "fuzz: runs in the SAN=1 pass"
    finish
fi
bash "$top/tests/fuzz/run.sh" "$secs" >"$T/log" 2>&1
rc=$?
cat "$T/log"
for n in sparse tokenize vocab model csv blitzer opinrank eval; do
    ok "fuzz $n: built, replayed, fuzzed ${secs}s without a crash" grep -q "^fuzz $n: ok" "$T/log"
done
t_result $rc "fuzz: run.sh exit status"
finish
