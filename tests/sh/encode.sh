#!/usr/bin/env bash
# encode.sh - senti-encode: output format (header naming the layer, labels
# and comments through, no zeros, values in [0,1]), stacking two layers over
# a pipe, refusals (wrong dimension, vocabulary, damaged or wrong-kind
# model files) with one-line messages.
. "$(dirname "$0")/lib.sh"
D=$F/dae

senti-pretrain -q -H 12 -E 4 -l 0.05 --l1 0.001 -o "$T/l1.model" "$D/train.txt"
run senti-encode --help
ok "--help exits 0" test "$rc" -eq 0
expect_fail 2 'no layer model' "missing -m" senti-encode "$D/valid.txt"

senti-encode -m "$T/l1.model" "$D/valid.txt" >"$T/enc"
ok "encode exits 0" test $? -eq 0
ok "header: dim = hidden units, vocab = layer digest" grep -Eq '^# senti sparse dim=12 vocab=[0-9a-f]{16}$' "$T/enc"
ok "one output row per input row" test "$(grep -vc '^#' "$T/enc")" -eq "$(grep -vc '^#' "$D/valid.txt")"
grep -v '^#' "$D/valid.txt" | cut -d' ' -f1 >"$T/lab.in"
grep -v '^#' "$T/enc" | cut -d' ' -f1 >"$T/lab.out"
same "$T/lab.in" "$T/lab.out" "labels (and '?') pass through"
ok "row comments pass through" grep -q ' # a comment$' "$T/enc"
ok "values in (0,1], no zeros, indices 1..12" awk '!/^#/{for(i=2;i<=NF;i++){if($i=="#")break; split($i,a,":"); if(a[1]<1||a[1]>12||a[2]<=0||a[2]>1) exit 1}}' "$T/enc"
senti-encode -m "$T/l1.model" <"$D/valid.txt" >"$T/enc2"
same "$T/enc" "$T/enc2" "stdin gives the same output"
senti-encode -t 2 -m "$T/l1.model" "$D/valid.txt" >"$T/enc3"
same "$T/enc" "$T/enc3" "2 threads give the same output"
senti-encode --raw -m "$T/l1.model" "$D/train.txt" >"$T/raw"
ok "--raw: some unscaled activations exceed 1" awk '!/^#/{for(i=2;i<=NF;i++){split($i,a,":"); if(a[2]>1) f=1}} END{exit !f}' "$T/raw"
senti-encode -m "$T/l1.model" "$D/train.txt" >"$T/scaled"
ok "scaled: every unit reaches 1 (to float rounding) on the training data" \
    sh -c "awk '!/^#/{for(i=2;i<=NF;i++){split(\$i,a,\":\"); if(a[2]>=0.9999) s[a[1]]=1}} END{n=0; for(k in s)n++; print n}' '$T/scaled' | grep -qx 12"

# stacking: layer 2 on layer 1's output, over a pipe
senti-encode -m "$T/l1.model" "$D/train.txt" | senti-pretrain -q -H 8 -E 3 --noise mask:0.25 -o "$T/l2.model"
ok "layer 2 trained from a pipe" test -s "$T/l2.model"
senti-encode -m "$T/l1.model" "$D/valid.txt" | senti-encode -m "$T/l2.model" >"$T/enc12"
ok "two layers encode" grep -Eq '^# senti sparse dim=8 vocab=' "$T/enc12"
ok "two layers keep every row" test "$(grep -vc '^#' "$T/enc12")" -eq 40
expect_fail 1 'vocabulary digest .* differs' "layer 2 refuses input not encoded by layer 1" \
    senti-encode -m "$T/l2.model" "$T/enc12"

# refusals
printf '# senti sparse dim=60 vocab=00000000000000bb\n1 1:1\n' >"$T/other.txt"
expect_fail 1 'other.txt:1: vocabulary digest 00000000000000bb differs from the model.s 0' "other vocabulary" \
    senti-encode -m "$T/l1.model" "$T/other.txt"
printf '1 1:1\n2 61:1\n' >"$T/big.txt"
expect_fail 1 'big.txt:2: .*61' "index above the layer's dimension" senti-encode -m "$T/l1.model" "$T/big.txt"
size=$(wc -c <"$T/l1.model")
head -c $((size - 100)) "$T/l1.model" >"$T/trunc.model"
expect_fail 1 "trunc.model: truncated at byte $((size - 100))" "truncated model" \
    senti-encode -m "$T/trunc.model" "$D/valid.txt"
cp "$T/l1.model" "$T/flip.model"
printf '\x55' | dd of="$T/flip.model" bs=1 seek=$((size - 50)) conv=notrunc 2>/dev/null
expect_fail 1 'flip.model: checksum mismatch' "corrupted model" senti-encode -m "$T/flip.model" "$D/valid.txt"
expect_fail 1 'bad magic' "not a model" senti-encode -m "$D/train.txt" "$D/valid.txt"
senti-pretrain -q -H 4 -E 2 --checkpoint "$T/ck" --stop-after 1 -o "$T/never" "$D/train.txt"
expect_fail 1 'wrong kind: this is a checkpoint model, a layer model is needed' "checkpoint is not a layer" \
    senti-encode -m "$T/ck" "$D/valid.txt"
expect_fail 1 'nope.model' "missing model file" senti-encode -m "$T/nope.model" "$D/valid.txt"
finish
