#!/usr/bin/env bash
# bundle.sh - one model file from raw text to rating: senti-bundle ties a
# network, its vocabulary and the tokenizer's settings together, and
# senti-predict on raw text gives the same bytes as the pipeline of the
# parts (tokenize | bow | predict); tampered, mismatched or colliding
# bundles are refused; text predictions stream line by line.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# a synthetic corpus: ratings 1..5, words whose polarity follows the rating
awk 'BEGIN { srand(11); split("great good fine love superb works nice", P, " ")
  split("awful bad broken hate poor waste junk", N, " ")
  split("the a it this product is was and but not very really", F, " ")
  for (i = 0; i < 400; i++) { r = int(rand() * 5) + 1; printf "%d\t", r; n = 5 + int(rand() * 15)
    for (j = 0; j < n; j++) { u = rand()
      if (u < 0.3) w = (rand() < (r - 1) / 4) ? P[int(rand() * 7) + 1] : N[int(rand() * 7) + 1]; else w = F[int(rand() * 12) + 1]
      if (rand() < 0.1) w = toupper(substr(w, 1, 1)) substr(w, 2)
      printf "%s%s", w, (rand() < 0.1 ? "! " : " ") }
    printf "\n" } }' >rev.tsv
printf 'the\nit\n' >stop.txt
TOK="-n -g 2 -S stop.txt"
# shellcheck disable=SC2086
senti-tokenize $TOK rev.tsv >tok
senti-vocab -k 80 tok >voc
senti-bow -v voc tok >bow
senti-train -q -E 5 -H 8 -o net.m bow
# shellcheck disable=SC2086
ok "senti-bundle: network + vocabulary + tokenizer settings" senti-bundle -q $TOK -o b.m net.m voc

senti-predict -m net.m bow >pipe.pred
senti-predict -m b.m rev.tsv >bundle.pred
same bundle.pred pipe.pred "raw text through the bundle = tokenize | bow | predict, bit for bit"
senti-predict -m net.m -p bow >pipe.proba
senti-predict -m b.m -p rev.tsv >bundle.proba
same bundle.proba pipe.proba "  ... with --proba"
senti-predict -m b.m -b 1 -t 2 rev.tsv >b1.pred
same b1.pred pipe.pred "  ... with -b 1 -t 2"

# text alone (no rating): '?' and the same predictions
cut -f2 rev.tsv >raw.txt
senti-predict -m b.m raw.txt >raw.pred
cut -f2 pipe.pred | sed 's/^/?\t/' >want.raw
same raw.pred want.raw "lines of text alone: '?' and the same predictions"
# an id column passes through
paste rev.tsv <(seq 400 | sed 's/^/id/') >ids.tsv
senti-predict -m b.m ids.tsv >ids.pred
paste pipe.pred <(seq 400 | sed 's/^/id/') >want.ids
same ids.pred want.ids "rating<TAB>text<TAB>id: the id is the last column"

# counts: the bag of words of senti-bow -c
senti-bow -c -v voc tok >bowc
senti-train -q -E 3 -H 8 -o netc.m bowc
# shellcheck disable=SC2086
senti-bundle -q -c $TOK -o bc.m netc.m voc
senti-predict -m netc.m bowc >pipec.pred
senti-predict -m bc.m rev.tsv >bundlec.pred
same bundlec.pred pipec.pred "--counts: the same predictions as senti-bow -c"

run senti-inspect b.m
ok "senti-inspect names the front end" grep -Eq '^text +80 terms \(vocab [0-9a-f]{16}\), pattern default, ngrams 2, min-len 1, negate, stop words' "$T/out"

# refusals
cp b.m t1.m
off=$(grep -abo 'ngrams 1' t1.m | head -1 | cut -d: -f1)
printf '3' | dd of=t1.m bs=1 seek=$((off + 9)) conv=notrunc status=none
expect_fail 1 'checksum' "a tampered setting: the model checksum fails" senti-predict -m t1.m raw.txt
reseal t1.m
expect_fail 1 '^senti-predict: t1\.m: front end: digest mismatch \(the tokenizer settings or the vocabulary were changed\)$' \
    "a tampered setting, checksum resealed: the front end's digest fails" senti-predict -m t1.m raw.txt
cp b.m t2.m
off=$(grep -abo 'superb' t2.m | head -1 | cut -d: -f1)
printf 'X' | dd of=t2.m bs=1 seek="$off" conv=notrunc status=none
reseal t2.m
expect_fail 1 'front end: digest mismatch' "a tampered vocabulary, checksum resealed: refused" senti-predict -m t2.m raw.txt
expect_fail 1 'front end: digest mismatch' "  ... senti-inspect refuses it too" senti-inspect t2.m
printf 'terma\ntermb\n' >other.voc
expect_fail 1 "^senti-bundle: other\.voc: vocabulary digest [0-9a-f]{16} differs from the network's [0-9a-f]{16} \(net\.m was trained on another vocabulary\)$" \
    "another vocabulary than the network's" senti-bundle -o x.m net.m other.voc
grep -v '^#' bow >nohdr
senti-train -q -E 1 -H 4 -o nohdr.m nohdr
expect_fail 1 'records no vocabulary digest' "a network trained without a vocabulary digest" senti-bundle -o x.m nohdr.m voc
expect_fail 1 'already a bundle' "a bundle of a bundle" senti-bundle -o x.m b.m voc
expect_fail 1 'voc: both an input and an output' "-o naming the vocabulary" senti-bundle -o voc net.m voc
expect_fail 2 'expected NETWORK and VOCAB, got 1 operand' "one operand" senti-bundle -o x.m net.m
expect_fail 2 '--punct applies to the default pattern only' "the tokenizer's own checks" senti-bundle -P -p 'a+' -o x.m net.m voc
ok "nothing written by the refusals" test ! -e x.m
expect_fail 2 'reads text' "--zero-based with a bundle" senti-predict -m b.m --zero-based raw.txt
printf '5\tgood\nbad\tline\n' >bad.tsv
expect_fail 1 "^senti-predict: bad\.tsv:2: rating 'bad' is neither a number nor '\?' \(a line of text alone has no TAB\)$" \
    "a line whose first TAB field is no rating" senti-predict -m b.m bad.tsv
ok "  ... the line before it was predicted" grep -q $'^5\t' "$T/out"

# streaming: one line in, its prediction out before the next line is written
streams "text through a bundle" 'great superb love' $'^\\?\t[0-9.]+$' $'1\tawful junk broken' $'^1\t[0-9.]+$' \
    senti-predict -m b.m --line-buffered

# the parts stream the same way: tokenize | bow | predict, each --line-buffered
streams "tokenize | bow | predict" $'?\tgreat superb love' $'^\\?\t[0-9.]+$' $'1\tawful junk broken' $'^1\t[0-9.]+$' \
    "senti-tokenize --line-buffered $TOK | senti-bow --line-buffered -v voc | senti-predict -m net.m --line-buffered"
printf 'great superb love\n1\tawful junk broken\n' | senti-predict -m b.m >two.pred
ok "  ... the same predictions as the bundle" test "$(cut -f2 two.pred | paste -sd' ')" = "$(printf '%s\n' "$got1" "$got2" | cut -f2 | paste -sd' ')"
finish
