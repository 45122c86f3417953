# tests/sh/lib.sh - sourced by every shell test.
#
#   . "$(dirname "$0")/lib.sh"
#   ok "description" command args...          passes when the command exits 0
#   run command args...                        runs it: $rc, $T/out, $T/err
#   expect_fail CODE 'stderr regex' "description" command args...
#   same FILE1 FILE2 "description"             byte-for-byte comparison
#   fnv1a < bytes                              FNV-1a 64 of stdin, as a signed integer
#   reseal FILE                                make a model file's checksum right again
#   streams DESC LINE1 RE1 LINE2 RE2 CMD...    CMD answers each line before the next comes
#   finish                                     prints "N passed, M failed"
#
# $T is a fresh temporary directory removed on exit; $B is the directory of
# the senti-* programs; $F is tests/fixtures.
set -u
export LC_ALL=C
B=${SENTI_BIN:?SENTI_BIN is not set}
F=${SENTI_TESTS:?}/fixtures
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PATH=$B:$PATH
t_pass=0 t_fail=0

t_result() { # 0|1 description
    if [ "$1" -eq 0 ]; then
        t_pass=$((t_pass + 1))
    else
        t_fail=$((t_fail + 1))
        echo "FAIL: $2" >&2
    fi
}

ok() {
    local d=$1; shift
    "$@" >/dev/null 2>"$T/ok.err"
    local r=$?
    [ $r -ne 0 ] && sed 's/^/  | /' "$T/ok.err" >&2
    t_result $r "$d"
}

run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}

expect_fail() { # code regex description cmd...
    local code=$1 re=$2 d=$3; shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    local r=0
    if [ "$rc" -ne "$code" ]; then
        echo "  exit $rc, wanted $code" >&2; r=1
    fi
    if [ "$(wc -l <"$T/err")" -ne 1 ] && [ "$code" -ne 2 ]; then
        echo "  stderr is not one line:" >&2; r=1
    fi
    if ! grep -Eq -- "$re" "$T/err"; then
        echo "  stderr does not match /$re/:" >&2; r=1
    fi
    [ $r -ne 0 ] && sed 's/^/  | /' "$T/err" | head -5 >&2
    t_result $r "$d"
}

same() { # file1 file2 description
    if cmp -s "$1" "$2"; then
        t_result 0 "$3"
    else
        diff "$1" "$2" | head -10 | sed 's/^/  | /' >&2
        t_result 1 "$3"
    fi
}

# FNV-1a 64 (the digest of vocabularies and model files) of the bytes on
# standard input, printed as a signed 64-bit integer (printf %016x for hex)
fnv1a() {
    local h=-3750763034362895579 b # 0xcbf29ce484222325
    for b in $(od -An -v -tu1); do h=$(((h ^ b) * 1099511628211)); done
    echo "$h"
}

# reseal FILE: store the FNV-1a 64 of all but the last 8 bytes of a model
# file in them (its checksum), so that a crafted field gets past the check
reseal() {
    local f=$1 n i h
    n=$(($(stat -c %s "$f") - 8))
    h=$(head -c $n "$f" | fnv1a)
    head -c $n "$f" >"$f.body"
    for i in 0 1 2 3 4 5 6 7; do printf "\\$(printf %o $(((h >> (8 * i)) & 255)))"; done >>"$f.body"
    mv "$f.body" "$f"
}

# streams DESC LINE1 RE1 LINE2 RE2 CMD...: CMD (a shell command line, run as
# a coprocess) must answer LINE1 with a line matching RE1 before LINE2 is
# written, then LINE2 with RE2, and exit 0 at the end of its input (20 s
# timeouts, so a failure cannot hang).  The answers are left in $got1, $got2.
streams() {
    local d=$1 l1=$2 r1=$3 l2=$4 r2=$5; shift 5
    coproc S { eval "$*"; }
    local pid=$S_PID # bash unsets S_PID once the coprocess has ended
    printf '%s\n' "$l1" >&"${S[1]}"
    got1=
    read -r -t 20 got1 <&"${S[0]}"
    ok "$d: the first answer before the second line" grep -Eq "$r1" <<<"$got1"
    printf '%s\n' "$l2" >&"${S[1]}"
    got2=
    read -r -t 20 got2 <&"${S[0]}"
    ok "$d: then the second" grep -Eq "$r2" <<<"$got2"
    exec {S[1]}>&-
    wait "$pid" 2>/dev/null
    ok "$d: exit 0 at the end of input" test $? -eq 0
}

finish() {
    echo "$t_pass passed, $t_fail failed"
    [ "$t_fail" -eq 0 ]
    exit
}
