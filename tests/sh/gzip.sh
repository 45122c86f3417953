#!/usr/bin/env bash
# gzip.sh - every program that reads lines takes gzip data as it takes
# plain text (files and standard input, several members as one stream,
# vocabulary and stop-word files too): the same output bytes; corrupt or
# truncated gzip data is one line on stderr with the line where it broke.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
D=$F/dae
X=$F/text
gzip -c "$X/reviews.tsv" >rev.gz
gzip -c "$D/train.txt" >train.gz
both() { # description command-before-file... : runs it on the plain file and on its .gz
    local d=$1 plain=$2 gz=$3; shift 3
    "$@" "$plain" >plain.out 2>/dev/null
    "$@" "$gz" >gz.out 2>/dev/null
    same gz.out plain.out "$d"
}
both "senti-tokenize reads gzip" "$X/reviews.tsv" rev.gz senti-tokenize
senti-tokenize "$X/reviews.tsv" >rev.tok
gzip -c rev.tok >tok.gz
both "senti-vocab reads gzip" rev.tok tok.gz senti-vocab
senti-vocab rev.tok >voc
both "senti-bow reads gzip" rev.tok tok.gz senti-bow -v voc
both "senti-cat reads gzip" "$D/train.txt" train.gz senti-cat
both "senti-split reads gzip" "$D/train.txt" train.gz senti-split -k 3 -f 2
both "senti-train reads gzip" "$D/train.txt" train.gz senti-train -q -E 2 -o -
both "senti-pretrain reads gzip" "$D/train.txt" train.gz senti-pretrain -q -H 4 -E 1 -o -
senti-train -q -E 2 -o net.m "$D/train.txt"
both "senti-predict reads gzip" "$D/train.txt" train.gz senti-predict -m net.m
senti-predict -m net.m "$D/train.txt" >p
gzip -c p >p.gz
both "senti-eval reads gzip" p p.gz senti-eval
# vocabulary and stop-word files come through the same reader
gzip -c voc >voc.gz
senti-bow -v voc rev.tok >bow.plain
senti-bow -v voc.gz rev.tok >bow.gz
same bow.gz bow.plain "senti-bow -v takes a gzip'd vocabulary"
printf '\357\273\277' | cat - voc >voc.bom
senti-bow -v voc.bom rev.tok >bow.bom
same bow.bom bow.plain "a byte-order mark before the vocabulary is skipped"
printf 'the\nand\n' >stop
gzip -c stop >stop.gz
senti-tokenize -S stop "$X/reviews.tsv" >stop.plain
senti-tokenize -S stop.gz "$X/reviews.tsv" >stop.gzout
same stop.gzout stop.plain "senti-tokenize -S takes a gzip'd stop-word file"
! cmp -s stop.plain rev.tok
t_result $? "the stop words removed tokens"
# standard input, and members one after the other
gzip -c "$D/train.txt" | senti-cat >stdin.out
senti-cat "$D/train.txt" >plain.out
same stdin.out plain.out "gzip'd standard input"
{ head -5 "$D/train.txt" | gzip -c; tail -n +6 "$D/train.txt" | gzip -c; } | senti-cat >two.out
same two.out plain.out "two gzip members are one stream"
# corrupt and truncated data
head -c 300 train.gz >cut.gz
expect_fail 1 '^senti-cat: cut\.gz:[0-9]+: gzip data is corrupt or ends early$' "truncated gzip data" senti-cat cut.gz
cp train.gz bad.gz
printf 'XXXX' | dd of=bad.gz bs=1 seek=40 conv=notrunc status=none
expect_fail 1 '^senti-tokenize: bad\.gz:[0-9]+: gzip data is corrupt or ends early$' "corrupt gzip data" senti-tokenize bad.gz
finish
