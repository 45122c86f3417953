#!/usr/bin/env bash
# interop.sh - what the README says about peers, checked by running the
# peers (Debian's liblinear-tools, python3-sklearn, fasttext) on our output
# and our programs on theirs: LIBLINEAR trains on senti-cat --no-header
# output (and refuses the header without it), scikit-learn's
# load_svmlight_file reads our lines as we do, its zero-based
# dump_svmlight_file output (with qid:) reads back through --zero-based,
# fastText trains on senti-cat --to fasttext, and fastText-format lines come
# back as senti-bow's.  A missing peer fails the test (make check installs
# them: TEST_PKGS in the Makefile).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
PY=/usr/bin/python3

# a small corpus of token lines: each rating has its own words, plus noise
awk 'BEGIN { srand(11); split("awful poor fine good great", w, " ")
    for (i = 0; i < 1500; i++) {
        r = int(rand() * 5) + 1; line = r "\t" w[r]
        if (rand() < 0.7) line = line " " w[r] "_" w[r]
        for (j = 0; j < 6; j++) line = line " noise" int(rand() * 40)
        print line } }' >all.tok
head -n 1200 all.tok >train.tok
tail -n 300 all.tok >test.tok
senti-vocab -k 100 train.tok >voc
senti-bow -v voc --counts train.tok >train.svm
senti-bow -v voc --counts test.tok >test.svm
N=$(grep -vc '^#' test.svm)

# ------------------------------------------------------------------------
# LIBLINEAR
run liblinear-train -q train.svm ll.model
ok "LIBLINEAR refuses the '# senti sparse' header (hence --no-header)" \
    bash -c "test $rc -ne 0 && grep -q 'Wrong input format at line 1' '$T/out' '$T/err'"
senti-cat --no-header train.svm >train.ll
senti-cat --no-header test.svm >test.ll
run liblinear-train -q train.ll ll.model
ok "liblinear-train reads senti-cat --no-header output" test "$rc" -eq 0 -a -s ll.model
run liblinear-predict test.ll ll.model ll.pred
acc=$(grep -Eo 'Accuracy = [0-9.]+' out | grep -Eo '[0-9.]+$')
ok "liblinear-predict scores it (accuracy $acc%)" awk -v a="$acc" 'BEGIN { exit !(a + 0 > 80) }'
ok "one LIBLINEAR prediction per row" test "$(wc -l <ll.pred)" -eq "$N"
sed 's/^[0-9]*\t/?\t/' test.tok | senti-bow -v voc --counts >unl.svm
senti-cat --no-header unl.svm >unl.ll
run liblinear-predict unl.ll ll.model unl.pred
ok "LIBLINEAR refuses '?' labels (hence --unlabeled-as)" test "$rc" -ne 0
senti-cat --no-header --unlabeled-as 0 unl.svm >unl0.ll
run liblinear-predict unl0.ll ll.model unl.pred
ok "liblinear-predict reads --unlabeled-as 0 output" test "$rc" -eq 0
same unl.pred ll.pred "same LIBLINEAR predictions for the unlabeled copy"
sed 's/^[0-9]*\t/?\t/' test.tok | senti-bow -v voc --counts --no-header --unlabeled-as 0 >unl0.bow
same unl0.bow unl0.ll "senti-bow --no-header --unlabeled-as 0 = senti-cat's"
run liblinear-predict unl0.bow ll.model unl.pred
same unl.pred ll.pred "  ... and LIBLINEAR predicts it the same"
# and LIBLINEAR's own style of file (+1/-1 labels, real values) reads here
printf '+1 1:0.708333 2:1 3:1 4:-0.320755\n-1 1:0.583333 2:-1 4:-0.603774 5:1\n' >heart.ll
run senti-cat heart.ll
ok "a LIBLINEAR-style file is read as it is" test "$rc" -eq 0 -a "$(head -1 out)" = "1 1:0.708333 2:1 3:1 4:-0.320755"

# ------------------------------------------------------------------------
# scikit-learn
# our rows as text: label, then one-based index:value, from senti-cat
senti-cat --no-header train.svm | sed 's/ #.*//' >ours.txt
cat >rows.py <<'EOF'
import sys
from sklearn.datasets import load_svmlight_file
zb = sys.argv[2]
X, y = load_svmlight_file(sys.argv[1], zero_based=(zb == "auto" and "auto" or zb == "True"))
X = X.tocsr()
for i in range(X.shape[0]):
    a, b = X.indptr[i], X.indptr[i + 1]
    print(" ".join(["%g" % y[i]] + ["%d:%g" % (X.indices[k] + 1, X.data[k]) for k in range(a, b)]))
EOF
$PY rows.py train.svm False >sk.txt 2>sk.err
same sk.txt ours.txt "load_svmlight_file(zero_based=False) reads senti-bow output, header and all, as we do"
$PY rows.py train.svm auto >sk.txt 2>sk.err
same sk.txt ours.txt "load_svmlight_file's default (zero_based='auto') reads it the same"
$PY -c "from sklearn.datasets import load_svmlight_file as l; l('unl.svm')" 2>err
ok "scikit-learn refuses '?' labels (hence --unlabeled-as)" grep -q "could not convert\|invalid" err
senti-cat --unlabeled-as 0 unl.svm >unl0.svm
$PY -c "from sklearn.datasets import load_svmlight_file as l; X, y = l('unl0.svm'); assert X.shape[0] == $N and (y == 0).all()" 2>err
t_result $? "scikit-learn reads --unlabeled-as 0 output"
# scikit-learn's own files: dump_svmlight_file is zero-based by default
cat >dump.py <<'EOF'
import sys
import numpy as np
from sklearn.datasets import load_svmlight_file, dump_svmlight_file
X, y = load_svmlight_file(sys.argv[1], zero_based=False)
dump_svmlight_file(X, y, sys.argv[2])
dump_svmlight_file(X, y, sys.argv[3], query_id=np.arange(X.shape[0]) // 10, comment="made by scikit-learn")
EOF
$PY dump.py train.svm sk0.svm skq.svm 2>err
t_result $? "dump_svmlight_file ran"
run senti-cat sk0.svm
ok "a zero-based file without --zero-based: the message names the option" grep -q 'a zero-based file? (--zero-based)' err
senti-cat --zero-based sk0.svm >back.svm
same back.svm ours.txt "dump_svmlight_file's zero-based output reads back through --zero-based"
senti-cat --zero-based skq.svm >backq.svm
same backq.svm ours.txt "its qid: columns and comment header are skipped"
senti-cat --zero-based sk0.svm | senti-train -q -E 2 -o sk.model
ok "senti-train learns from scikit-learn's file through senti-cat --zero-based" test -s sk.model

# ------------------------------------------------------------------------
# fastText
senti-cat --to fasttext -v voc train.svm >train.ft
senti-cat --to fasttext -v voc test.svm >test.ft
fasttext supervised -input train.ft -output ft -epoch 20 -lr 0.5 -thread 1 -seed 1 -verbose 0 >/dev/null 2>err
ok "fasttext supervised trains on senti-cat --to fasttext output" test -s ft.bin
fasttext predict ft.bin test.ft >ft.pred 2>err
ok "one fastText prediction per row" test "$(wc -l <ft.pred)" -eq "$N"
ok "fastText predicts our labels" bash -c "! grep -vqx '__label__[1-5]' ft.pred"
p1=$(fasttext test ft.bin test.ft 2>/dev/null | awk '$1 == "P@1" { print $2 }')
ok "fastText scores the converted test set (P@1 $p1)" awk -v p="$p1" 'BEGIN { exit !(p + 0 > 0.8) }'
# fastText's own format, from text: the same rows as senti-bow
sed 's/^\([0-9]*\)\t/__label__\1 /' test.tok >test.fasttext
senti-cat --from fasttext -v voc test.fasttext >fromft.svm
same fromft.svm test.svm "fastText lines read with -v give senti-bow --counts' bytes"
finish
