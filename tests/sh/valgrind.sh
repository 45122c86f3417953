#!/usr/bin/env bash
# valgrind.sh - a subset of the programs and two unit tests under valgrind's
# memcheck: no invalid read or write, no use of uninitialised memory, no
# definite leak on normal exits (error exits end with _exit and are not
# leak-checked, see lib/cli.c).  Plain pass only: the SAN=1 pass has ASan.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
if [ "${SAN:-0}" = 1 ]; then
    echo "valgrind: runs in the plain pass"
    finish
fi
if ! command -v valgrind >/dev/null; then
    t_result 1 "valgrind is missing (Debian package valgrind)"
    finish
fi
export OPENBLAS_NUM_THREADS=1
vg() { # description command...
    local d=$1
    shift
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        --log-file="$T/vg.log" "$@" >"$T/out" 2>"$T/err"
    local r=$?
    [ $r -ne 0 ] && { echo "  exit $r" >&2; head -20 "$T/vg.log" "$T/err" | sed 's/^/  | /' >&2; }
    t_result $r "valgrind: $d"
}
X=$F/text
D=$F/dae
C=$F/corpora

vg "senti-tokenize (html, stem, negate, bigrams, stop words)" \
    senti-tokenize -H -s english -n -g 2 -S "$X/stop.txt" "$X/reviews.tsv"
senti-tokenize -q "$X/reviews.tsv" >tok
vg "senti-vocab (spilling runs to disk)" senti-vocab -m 1K -T "$T" tok
senti-vocab tok >voc
vg "senti-bow --counts" senti-bow -c -v voc tok
vg "senti-cat --stats" senti-cat -s "$D/train.txt"
vg "senti-split --stratify" senti-split -S -k 3 -f 2 "$D/train.txt"
vg "senti-pretrain --checkpoint" senti-pretrain -q -H 8 -E 2 --stop-after 1 --checkpoint ck -o l "$D/train.txt"
vg "senti-pretrain --resume" senti-pretrain -q -H 8 -E 2 --checkpoint ck --resume -o l "$D/train.txt"
vg "senti-encode" senti-encode -m l "$D/train.txt"
head -121 "$D/train.txt" >tr
{ head -1 "$D/train.txt"; tail -40 "$D/train.txt"; } >va
vg "senti-train --init, --valid, dropout, --checkpoint" \
    senti-train -q -i l -E 3 -v va --drop 0.1 --in-drop 0.1 --stop-after 2 --checkpoint tck -o n tr
vg "senti-train --resume" senti-train -q -i l -E 3 -v va --drop 0.1 --in-drop 0.1 --checkpoint tck --resume -o n tr
vg "senti-predict --proba" senti-predict -p -m n "$D/train.txt"
senti-predict -m n tr >pred
vg "senti-eval --bootstrap" senti-eval -b 200 pred
vg "senti-inspect --tensors" senti-inspect -T n l
vg "senti-from-blitzer" senti-from-blitzer "$C/blitzer/good.review"
vg "senti-from-csv" senti-from-csv -t body -r stars "$C/csv/good.csv"
vg "senti-from-imdb" senti-from-imdb -q "$C/imdb/aclImdb"
printf '1 2:1 1:1\n' >bad
valgrind -q --error-exitcode=99 --log-file="$T/vg.log" senti-cat bad >/dev/null 2>err
ok "valgrind: a bad line: exit 1, one message, no memory error" test $? -eq 1 -a "$(wc -l <err)" -eq 1 -a ! -s "$T/vg.log"
for u in test_lines test_model; do
    [ -x "$SENTI_UNIT/$u" ] && vg "unit/$u" "$SENTI_UNIT/$u"
done
finish
