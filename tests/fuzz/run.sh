#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [HARNESS...] - build the libFuzzer harnesses and
# fuzz each for SECONDS (default: all of sparse, tokenize, vocab, model, csv,
# blitzer, opinrank, eval).
#
# Each harness tests/fuzz/NAME/fuzz_NAME.c is built with Debian's clang,
# -fsanitize=fuzzer,address,undefined (UB aborts), together with lib/*.c,
# into build/fuzz/.  Then, per harness:
#   1. every input in tests/fuzz/NAME/seeds/ and tests/fuzz/NAME/regress/
#      (crashes found before, kept as regression tests) is replayed;
#   2. libFuzzer runs for SECONDS from the seeds plus the corpus it grew in
#      earlier runs (build/fuzz/corpus/NAME/); a crashing input is written
#      to build/fuzz/crashes/NAME/ (copy it into tests/fuzz/NAME/regress/
#      once the bug is fixed).
# Two harnesses run at a time (FUZZ_JOBS).  One line per harness: "fuzz
# NAME: ok, N executions in S s" or the failure; the last line sums the
# executions.  Exit 1 when anything failed.  SECONDS 0 only builds and
# replays.  FUZZ_RUNS=N ends each harness after N executions if that comes
# first (a campaign of a set size: FUZZ_RUNS=10000000 with a large SECONDS).
set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
secs=${1:-30}
shift || true
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(sparse tokenize vocab model csv blitzer opinrank eval)
out=build/fuzz
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null; then
    echo "fuzz: $CC not found (Debian packages clang and libclang-rt-dev)" >&2
    exit 1
fi
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Ilib $(pkg-config --cflags openblas libpcre2-8 libutf8proc zlib 2>/dev/null)"
LIBS="$(pkg-config --libs openblas libpcre2-8 libutf8proc zlib 2>/dev/null || echo -lopenblas -lpcre2-8 -lutf8proc -lz) -lstemmer -lm -lpthread"

# ---------------------------------------------------------------------------
# build (again when any source or header is newer than the harness)
mkdir -p "$out/obj"
stale=()
for f in lib/*.c; do
    o=$out/obj/$(basename "$f" .c).o
    if [ ! -e "$o" ] || [ "$f" -nt "$o" ] || [ tests/fuzz/run.sh -nt "$o" ] ||
        [ -n "$(find lib -name '*.h' -newer "$o")" ]; then
        stale+=("$f")
    fi
done
if [ ${#stale[@]} -gt 0 ]; then
    printf '%s\n' "${stale[@]}" | xargs -P 2 -I{} sh -c \
        "$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o $out/obj/\$(basename {} .c).o {}" || {
        echo "fuzz: building lib/ with $CC failed" >&2
        exit 1
    }
fi
for n in "${names[@]}"; do
    bin=$out/fuzz_$n
    src=tests/fuzz/$n/fuzz_$n.c
    if [ ! -e "$bin" ] || [ "$src" -nt "$bin" ] || [ tests/fuzz/main.h -nt "$bin" ] || [ -n "$(find "$out/obj" -newer "$bin")" ]; then
        # shellcheck disable=SC2086
        $CC $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "$src" "$out"/obj/*.o $LIBS || {
            echo "fuzz $n: build failed (is libclang-rt-dev installed?)" >&2
            exit 1
        }
    fi
done

# ---------------------------------------------------------------------------
# replay, then fuzz
export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# one harness: its report in $out/NAME.result ("ok ..." or "FAILED ..."
# lines), its executions in $out/NAME.execs
fuzz_one() {
    local n=$1 bin=$out/fuzz_$1 log=$out/$1.log res=$out/$1.result
    echo 0 >"$out/$n.execs"
    mkdir -p "$out/corpus/$n" "$out/crashes/$n"
    local inputs=() d f
    for d in tests/fuzz/$n/seeds tests/fuzz/$n/regress; do
        for f in "$d"/*; do [ -f "$f" ] && inputs+=("$f"); done
    done
    if [ ${#inputs[@]} -gt 0 ] && ! "$bin" -rss_limit_mb=2048 "${inputs[@]}" >"$log" 2>&1; then
        {
            echo "fuzz $n: FAILED replaying the seeds and regression inputs:"
            grep -E 'ERROR|runtime error|Running:' "$log" | tail -5 | sed 's/^/    /'
        } >"$res"
        return
    fi
    local nreg
    nreg=$(find "tests/fuzz/$n/regress" -type f 2>/dev/null | wc -l)
    if [ "$secs" -eq 0 ]; then
        echo "fuzz $n: ok, replayed ${#inputs[@]} inputs ($nreg regression)" >"$res"
        return
    fi
    # libFuzzer runs in rounds of FUZZ_ROUND executions (default 40000),
    # each a fresh process on the corpus grown so far: a whole-program
    # harness leaks what a program holds at an error exit (as _exit()
    # would drop it), some 20 KB a run, which would reach the RSS limit
    # within a few minutes of one long process
    local t0=$SECONDS rc=0 execs=0 round=${FUZZ_ROUND:-40000} left k
    local runs=${FUZZ_RUNS:--1}
    [ -z "$runs" ] && runs=-1
    : >"$log"
    while :; do
        left=$((secs - (SECONDS - t0)))
        [ "$left" -le 0 ] && break
        k=$round
        if [ "$runs" -ge 0 ]; then
            [ $((runs - execs)) -le 0 ] && break
            [ $((runs - execs)) -lt "$k" ] && k=$((runs - execs))
        fi
        "$bin" -max_total_time="$left" -runs="$k" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
            -artifact_prefix="$out/crashes/$n/" "$out/corpus/$n" "tests/fuzz/$n/seeds" >"$log.round" 2>&1
        rc=$?
        execs=$((execs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log.round" | tail -1 | grep . || echo 0)))
        tail -n 20 "$log.round" >>"$log"
        [ $rc -ne 0 ] && { cat "$log.round" >>"$log"; break; }
    done
    rm -f "$log.round"
    echo "$execs" >"$out/$n.execs"
    if [ $rc -ne 0 ]; then
        {
            echo "fuzz $n: FAILED after $execs executions, input in $out/crashes/$n/:"
            grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -6 | sed 's/^/    /'
        } >"$res"
    else
        echo "fuzz $n: ok, $execs executions in $((SECONDS - t0)) s, corpus $(find "$out/corpus/$n" -type f | wc -l) inputs, $nreg regression inputs replayed" >"$res"
    fi
}

# FUZZ_JOBS harnesses at a time (default 2, the machine's cores)
jobs=${FUZZ_JOBS:-2}
running=0
for n in "${names[@]}"; do
    rm -f "$out/$n.result"
    fuzz_one "$n" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
fail=0 total=0
for n in "${names[@]}"; do
    if [ -s "$out/$n.result" ]; then cat "$out/$n.result"; else echo "fuzz $n: FAILED (no result)"; fi
    grep -q "^fuzz $n: ok" "$out/$n.result" 2>/dev/null || fail=1
    total=$((total + $(cat "$out/$n.execs" 2>/dev/null || echo 0)))
done
echo "fuzz: $total executions in all"
exit $fail
