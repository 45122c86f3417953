#!/usr/bin/env bash
# convert.sh - senti-cat between formats and conventions (docs/format.md):
# --no-header, --unlabeled-as, --zero-based, qid: columns, and the
# converters to and from Vowpal Wabbit's and fastText's line formats, with
# and without a vocabulary naming the columns; round trips give the same
# bytes, malformed lines of either format are refused with file:line.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
V=$F/text
printf '# senti sparse dim=9 vocab=0123456789abcdef\n5 1:1 3:0.5 # review 1\n? 2:1 9:2\n1\n2 4:-1.25e-3\n' >s.svm

# ------------------------------------------------------------------------
# writers: no header, a number for '?'
senti-cat --no-header s.svm >out
ok "--no-header: no '#' line" bash -c "! grep -q '^#' out"
ok "--no-header: every row" test "$(wc -l <out)" -eq 4
senti-cat --unlabeled-as 0 s.svm >out
ok "--unlabeled-as 0: '?' becomes 0" grep -qx '0 2:1 9:2' out
ok "--unlabeled-as: labeled rows unchanged" grep -qx '5 1:1 3:0.5 # review 1' out
senti-cat --unlabeled-as -1.5 --no-header s.svm >out
ok "--unlabeled-as -1.5 with --no-header" grep -qx -- '-1.5 2:1 9:2' out
expect_fail 2 'unlabeled-as' "--unlabeled-as needs a number" senti-cat --unlabeled-as x s.svm
senti-pretrain -q -H 4 -E 1 -o l.m "$F/dae/train.txt"
senti-encode -m l.m --no-header --unlabeled-as 0 "$F/dae/valid.txt" >enc
ok "senti-encode --no-header" bash -c "! grep -q '^#' enc"
ok "senti-encode --unlabeled-as 0" bash -c "! grep -q '^?' enc && grep -q '^0 ' enc"

# ------------------------------------------------------------------------
# readers: zero-based indices, qid columns
printf '1 0:1 4:0.5\n? 8:1\n' >zb.svm
senti-cat --zero-based zb.svm >out
printf '1 1:1 5:0.5\n? 9:1\n' >want
same out want "--zero-based: index i becomes i + 1"
printf '# senti sparse dim=9\n1 8:1\n1 9:1\n' >zb9
expect_fail 1 '^senti-cat: zb9:3: zero-based index 9 not below declared dim=9$' "--zero-based: dim= counts columns" \
    senti-cat --zero-based zb9
printf '1 2147483646:1\n' >zbmax
run senti-cat --zero-based --no-header zbmax
ok "--zero-based: largest index 2147483646" grep -qx '1 2147483647:1' out
printf '1 2147483647:1\n' >zbover
expect_fail 1 "index '2147483647:1' above the limit 2147483646" "--zero-based: 2147483647 is beyond" \
    senti-cat --zero-based zbover
printf '3 qid:1 1:1 4:1\n1 qid:12 2:1 # c\nqid:2 5:1\n' >q.svm
senti-cat q.svm >out
printf '3 1:1 4:1\n1 2:1 # c\n? 5:1\n' >want
same out want "qid: right after the label is read and dropped"
printf '3 qid:x 1:1\n' >qbad
expect_fail 1 "^senti-cat: qbad:1: bad qid 'qid:x'\$" "a bad qid" senti-cat qbad
printf '3 1:1 qid:2\n' >qlate
expect_fail 1 "^senti-cat: qlate:1: bad index 'qid:2'" "qid: after features is refused" senti-cat qlate

# ------------------------------------------------------------------------
# Vowpal Wabbit
senti-cat --to vw s.svm >s.vw
printf "5 'review_1 | 1 3:0.5\n| 2 9:2\n1 |\n2 | 4:-0.00125\n" >want
same s.vw want "--to vw: label, comment as tag, value 1 left out"
senti-cat --from vw s.vw >back
printf '5 1:1 3:0.5 # review_1\n? 2:1 9:2\n1\n2 4:-0.00125\n' >want
same back want "--from vw reads it back (blanks in a tag become _)"
senti-cat --to vw back | senti-cat --from vw >back2
same back2 back "vw round trip is a fixed point"
printf "4 'id7|ns 7:2 3 3:1\n'x | 2:1\n| \n" >in.vw
senti-cat --from vw in.vw >out
printf '4 3:2 7:2 # id7\n? 2:1 # x\n?\n' >want
same out want "--from vw: any order, a name twice adds, a tag touching '|', a named namespace"
vbad() { # line regex description
    printf '%b\n' "$1" >bad.vw
    expect_fail 1 "^senti-cat: bad.vw:1: $2\$" "vw: $3" senti-cat --from vw bad.vw
}
vbad '1 3:1' "no '\\|' \\(VW lines are 'label \\| features'\\)" "no bar"
vbad '1 | great' "feature 'great' is not an index \\(name the vocabulary that gives names their index: -v VOCAB\\)" "a word without a vocabulary"
vbad '1 2 | 3' "importance weight '2' \\(senti has no example weights; 1 only\\)" "an importance weight"
vbad "1 |a 3 |b 4" "a second namespace '\\|b' \\(senti reads one\\)" "two namespaces"
vbad '1 |a:2 3' "namespace 'a:2' has a scale \\(not supported\\)" "a namespace scale"
vbad 'x | 3' "bad label 'x'" "a bad label"
vbad '1 | 3:nan' "value 'nan' is not finite" "a NaN value"
vbad '1 | 3:' "missing value after '3:'" "a missing value"
vbad '1 | 0' "index 0 \\(indices start at 1\\); a zero-based file\\? \\(--zero-based\\)" "index 0"
printf '# senti sparse dim=3\n1 | 4\n' >d.vw
expect_fail 1 "^senti-cat: d.vw:1: no '\\|'" "vw lines have no header" senti-cat --from vw d.vw

# ------------------------------------------------------------------------
# fastText
printf '5 1:1 3:2 # review 1\n? 2:1 9:1\n1\n' >c.svm
senti-cat --to fasttext c.svm >c.ft
printf '__label__5 1 3 3\n2 9\n__label__1\n' >want
same c.ft want "--to fasttext: a token per unit of count, no label for '?'"
senti-cat --from fasttext c.ft >back
printf '5 1:1 3:2\n? 2:1 9:1\n1\n' >want
same back want "--from fasttext reads it back (values are counts; comments are not carried)"
expect_fail 1 "^senti-cat: s.svm:2: value 0.5 of index 3 is not a count of 1..1000 \\(fastText lines hold tokens\\)\$" \
    "--to fasttext: a value that is not a count" senti-cat --to fasttext s.svm
# with a vocabulary: terms as tokens, and the header of senti-bow
senti-tokenize "$V/simple.tsv" >tok
senti-vocab -k 30 tok >voc
senti-bow -v voc --counts tok >bow.svm
senti-cat --to fasttext -v voc bow.svm >bow.ft
ok "--to fasttext -v: tokens are terms" bash -c "head -1 bow.ft | grep -Eq '^__label__[0-9]+( [a-z]+)+'"
senti-cat --from fasttext -v voc bow.ft >bow.back
same bow.back bow.svm "--from fasttext -v: the same bytes as senti-bow --counts, header included"
sed 's/\t/ /; s/^/__label__/' tok >tok.ft
senti-cat --from fasttext -v voc tok.ft >tok.back
same tok.back bow.svm "fastText lines of the tokens give senti-bow's lines (out-of-vocabulary tokens dropped)"
senti-cat --to vw -v voc bow.svm | senti-cat --from vw -v voc >vw.back
same vw.back bow.svm "vw round trip with a vocabulary, header included"
printf '# senti sparse dim=%s vocab=00000000000000bb\n1 1:1\n' "$(wc -l <voc)" >other
expect_fail 1 "^senti-cat: other:1: vocabulary digest 00000000000000bb differs from the vocabulary's " \
    "--to fasttext -v: data of another vocabulary refused" senti-cat --to fasttext -v voc other
printf 'a:b\t1\t1\nc\t1\t1\n' >colon.voc
printf '1 1:1\n' >one
expect_fail 1 "^senti-cat: one:1: term 'a:b' \\(index 1\\) cannot be a VW feature name" \
    "--to vw -v: a term with ':' is refused" senti-cat --to vw -v colon.voc one
fbad() { # line regex description
    printf '%b\n' "$1" >bad.ft
    expect_fail 1 "^senti-cat: bad.ft:1: $2\$" "fasttext: $3" senti-cat --from fasttext bad.ft
}
fbad '__label__positive 3' "label '__label__positive' is not a number" "a word label"
fbad '__label__5 3 __label__4' "a second label '__label__4' after '__label__5' \\(senti rows have one\\)" "two labels"
fbad '__label__5 great' "feature 'great' is not an index \\(name the vocabulary that gives names their index: -v VOCAB\\)" "a word without a vocabulary"
fbad '__label__ 3' "empty label '__label__'" "an empty label"
expect_fail 2 "unknown format 'csv'" "an unknown format" senti-cat --from csv c.svm
finish
