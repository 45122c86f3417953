#!/usr/bin/env bash
# limits.sh - the limits of docs/limits.md, at their edges: the longest
# line (256 MiB: accepted; one byte more: refused with the line number, by
# each kind of reader, and /dev/zero is refused quickly), the largest index
# (2^31 - 1), a vocabulary of a million terms, and models too large for
# memory refused before any allocation.  The 256 MiB lines run in the
# plain pass only.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
MAX=268435456

# ------------------------------------------------------------------------
# the longest line
if [ "${SAN:-0}" != 1 ]; then
    blanks() { head -c "$1" /dev/zero | tr '\0' ' '; }
    # sparse reader: "1 1:1" and blanks, exactly MAX bytes, then MAX + 1
    { printf '1 1:1'; blanks $((MAX - 5)); printf '\n'; } | senti-cat --no-header >out 2>err
    ok "senti-cat: a line of exactly 256 MiB is accepted" test "$(cat out)" = "1 1:1"
    expect_fail 1 '^senti-cat: \(stdin\):2: line longer than 268435456 bytes \(the limit\)$' \
        "senti-cat: a line of 256 MiB + 1 is refused" \
        bash -c "{ printf '2 2:1\n1 1:1'; head -c $((MAX - 4)) /dev/zero | tr '\\0' ' '; } | senti-cat"
    # block reader of the text programs
    expect_fail 1 '^senti-tokenize: \(stdin\):1: line longer than 268435456 bytes \(the limit\)$' \
        "senti-tokenize: a line of 256 MiB + 1 is refused" \
        bash -c "{ printf '5\t'; head -c $((MAX - 1)) /dev/zero | tr '\\0' ' '; printf '\n'; } | senti-tokenize"
    # line copier and CSV records
    expect_fail 1 '^senti-split: \(stdin\):1: line longer than 268435456 bytes \(the limit\)$' \
        "senti-split: a line of 256 MiB + 1 is refused" bash -c "head -c $((MAX + 1)) /dev/zero | tr '\\0' a | senti-split"
    expect_fail 1 '^senti-from-csv: \(stdin\):2: record longer than 268435456 bytes' \
        "senti-from-csv: a record of 256 MiB + 1 is refused" \
        bash -c "{ echo text; printf '\"'; head -c $((MAX + 1)) /dev/zero | tr '\\0' a; } | senti-from-csv -t text"
    # endless input without newlines: refused, not swallowed
    for c in "senti-encode -m /dev/zero" "senti-inspect"; do
        p=${c%% *}
        run timeout 60 $c /dev/zero
        ok "$p: /dev/zero refused quickly" test "$rc" -eq 1
    done
fi

# ------------------------------------------------------------------------
# the largest index and dimension: 2^31 - 1
printf '1 2147483647:1\n' >maxidx
run senti-cat maxidx
ok "senti-cat: index 2147483647 accepted" grep -qx '1 2147483647:1' out
printf '1 2147483648:1\n' >overidx
expect_fail 1 "^senti-cat: overidx:1: index '2147483648:1' above the limit 2147483647$" "index 2^31 refused" senti-cat overidx
printf '# senti sparse dim=2147483648\n' >overdim
expect_fail 1 "^senti-cat: overdim:1: bad header field 'dim=2147483648' \\(dim must be 1..2147483647\\)$" \
    "dim= above 2^31 - 1 refused" senti-cat overdim
# models the memory cannot hold are refused before allocating anything
printf '1 2147483647:1\n2 1:1\n' >huge
expect_fail 1 '^senti-train: huge: a network of [0-9]+ parameters \(input dimension 2147483647\) needs [0-9.]+ GiB, more than the [0-9.]+ GiB of memory of this machine$' \
    "senti-train: a network larger than memory is refused" senti-train -q -H 4096 -o m huge
ok "senti-train: nothing written" test ! -e m
if [ "${SAN:-0}" != 1 ]; then # (ASan needs more address space than this)
    expect_fail 1 '^senti-pretrain: huge: a layer of 2147483647 inputs x 4 units needs 64.0 GiB, more than the [0-9.]+ GiB of memory of this machine$' \
        "senti-pretrain: a layer larger than memory (here 8 GB of address space) is refused" \
        bash -c "ulimit -v 8000000 && senti-pretrain -q -H 4 -o m huge"
fi
expect_fail 2 '^senti-pretrain: layer too large' "senti-pretrain: more than 2^33 weights is misuse" \
    senti-pretrain -q -H 1000000 -o m huge

# numbers: at most 63 characters of text
z60=$(printf '0%.0s' $(seq 60))
printf '1.%s 1:1.%s\n' "$z60" "$z60" | senti-cat >out
ok "63-character label and value accepted" grep -qx '1 1:1' out
printf '1.00%s 1:1\n' "$z60" >longlabel
expect_fail 1 "^senti-cat: longlabel:1: label '1.0+\\.\\.\\.' longer than 63 characters$" "64-character label" senti-cat longlabel
printf '1 1:1.00%s\n' "$z60" >longvalue
expect_fail 1 "^senti-cat: longvalue:1: value '1.0+\\.\\.\\.' of index 1 longer than 63 characters$" "64-character value" senti-cat longvalue

# ------------------------------------------------------------------------
# a vocabulary of a million terms (about 240 bytes of memory each)
seq -f 't%.0f' 1 1000000 >v1m
printf '5\tt1 zz t999999 t1000000 t500000\n' | senti-bow -v v1m >out
ok "senti-bow: a 1,000,000-term vocabulary" grep -qx '5 1:1 500000:1 999999:1 1000000:1' out
ok "senti-bow: its dimension" grep -q '^# senti sparse dim=1000000 ' out
awk '{ print $0 "\t1\t1" }' v1m >v1m.counts
senti-vocab -M v1m.counts v1m.counts >merged
ok "senti-vocab -M: a million terms merged" test "$(wc -l <merged)" -eq 1000000 -a "$(head -1 merged)" = "t1	2	2"
finish
