#!/usr/bin/env bash
# badinput.sh - the bad-input matrix: every program fed what real users feed
# it.  Empty input, header lines only, a 100 MB line, binary garbage and NUL
# bytes, invalid UTF-8, CRLF, no final newline, every malformed sparse-line
# rule, non-numeric labels, indices beyond a model's dimension, bad
# vocabulary files, truncated and corrupted models, models of the wrong
# kind, missing/unreadable files and directories as input, /dev/full as
# output and a closed pipe downstream.
#
# Each failure must exit 1 (bad data) with ONE line "senti-NAME: file:line:
# reason" (or "senti-NAME: file: reason"), never crash, never leave a
# temporary file; accepted input must give the same output as its clean
# form (nothing lost).  The 100 MB cases run in the plain pass only (SAN=1
# runs 10 MB lines instead).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
S=${SAN:-0}
D=$F/dae

# expect_fail with the program prefix checked: bad CODE REGEX DESC CMD...
# (REGEX is matched after "^senti-NAME: ")
bad() {
    local code=$1 re=$2 d=$3 a p=senti
    shift 3
    for a in "$@"; do case $a in senti-*) p=${a%% *} && break ;; esac; done
    expect_fail "$code" "^$p: $re" "$d" "$@"
}
# success with nothing on stderr
clean() {
    local d=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    local r=0
    [ "$rc" -eq 0 ] || { echo "  exit $rc" >&2; r=1; }
    [ -s "$T/err" ] && { sed 's/^/  | /' "$T/err" | head -3 >&2; r=1; }
    t_result $r "$d"
}
no_temps() { # description
    local left
    left=$(find "$T" -name '*.tmp*' | head -3)
    [ -z "$left" ] || echo "  left behind: $left" >&2
    t_result "$([ -z "$left" ] && echo 0 || echo 1)" "$1"
}

# ------------------------------------------------------------------------
# material: a layer (dim 60), a network, a checkpoint; clean inputs
senti-pretrain -q -H 8 -E 1 -o layer.m "$D/train.txt"
senti-train -q -E 1 -o net.m "$D/train.txt"
senti-pretrain -q -H 8 -E 2 --stop-after 1 --checkpoint ck.m -o unused.m "$D/train.txt"
cp "$D/train.txt" sp
printf '5\tThe movie was great\n1\tbad plot, bad cast\n3\tso-so\n' >tsv
senti-tokenize tsv >tok
senti-vocab tok >voc
printf '5\t4.5\n1\t2\n3\t3\n' >pred
: >empty
printf '# senti sparse dim=60\n# another comment\n' >hdr
head -c 3000 "$F/bad/garbage.bin" >garbage

# every program with one input file: name, command (input appended)
progs=(
    "senti-tokenize"
    "senti-vocab"
    "senti-vocab -M"
    "senti-bow -v voc"
    "senti-cat"
    "senti-split"
    "senti-encode -m layer.m"
    "senti-predict -m net.m"
    "senti-pretrain -q -H 4 -E 1 -o out.m"
    "senti-train -q -E 1 -o out.m"
    "senti-eval"
    "senti-inspect"
    "senti-from-blitzer"
    "senti-from-opinrank"
    "senti-from-csv -t text"
    "senti-from-imdb"
)

# ------------------------------------------------------------------------
# empty input and header lines only: filters write nothing (or a header),
# programs that need data say which file has none
for f in empty hdr; do
    for c in "senti-tokenize" "senti-vocab" "senti-bow -v voc" "senti-cat" "senti-split" \
        "senti-encode -m layer.m" "senti-predict -m net.m"; do
        clean "$c: $f input accepted" $c $f
    done
    bad 1 "$f: no data lines$" "senti-pretrain: $f input" senti-pretrain -q -o out.m $f
    bad 1 "$f: no data lines$" "senti-train: $f input" senti-train -q -o out.m $f
    bad 1 "$f: no labeled predictions" "senti-eval: $f input" senti-eval $f
done
clean "senti-vocab -M: empty input accepted" senti-vocab -M empty
bad 1 "hdr:1: expected term<TAB>df<TAB>cf$" "senti-vocab -M: a vocabulary has no header" senti-vocab -M hdr
bad 1 'empty: truncated at byte 0' "senti-inspect: empty file" senti-inspect empty
bad 1 'hdr: bad magic' "senti-inspect: text file" senti-inspect hdr
clean "senti-from-blitzer: empty input" senti-from-blitzer empty
clean "senti-from-opinrank: empty input" senti-from-opinrank empty
bad 1 'empty:1: empty file: a header row is required' "senti-from-csv: empty input" senti-from-csv -t text empty
bad 1 "hdr:1: expected <review>, found '# senti sparse dim=60'" "senti-from-blitzer: wrong format" senti-from-blitzer hdr
senti-bow -v voc empty >out
ok "senti-bow: empty input gives just the header" grep -qx "# senti sparse dim=$(wc -l <voc) vocab=[0-9a-f]*" out
no_temps "no temporary files after empty inputs"

# ------------------------------------------------------------------------
# binary garbage (with NUL bytes): one line naming the file and line
bad 1 "garbage:1: no TAB between rating and text$" "senti-tokenize: garbage" senti-tokenize garbage
bad 1 "garbage:[0-9]+: " "senti-vocab: garbage" senti-vocab garbage
bad 1 "garbage:1: " "senti-vocab -M: garbage" senti-vocab -M garbage
bad 1 "garbage:1: no TAB between rating and tokens$" "senti-bow: garbage" senti-bow -v voc garbage
printf '\001\377\000\033[31m\ttext\n' >ctrl.tsv
bad 1 "ctrl.tsv:1: rating '\\\\x01\\\\xff\\\\x00\\\\x1b\\[31m' is neither a number nor '\\?'$" "senti-tokenize: control bytes in a message escaped" \
    senti-tokenize ctrl.tsv
for c in "senti-cat" "senti-encode -m layer.m" "senti-predict -m net.m" "senti-pretrain -q -o out.m" "senti-train -q -o out.m"; do
    bad 1 "garbage:1: (bad label|NUL byte|missing)" "${c%% *}: garbage" $c garbage
done
bad 1 "garbage:1: (NUL byte in line|no tab|bad)" "senti-eval: garbage" senti-eval garbage
bad 1 'garbage: bad magic' "senti-inspect: garbage" senti-inspect garbage
bad 1 "garbage:1: expected <review>, found '.*'$" "senti-from-blitzer: garbage" senti-from-blitzer garbage
bad 1 "garbage:1: (expected <DOC>|NUL byte)" "senti-from-opinrank: garbage" senti-from-opinrank garbage
bad 1 "garbage:[0-9]+: " "senti-from-csv: garbage" senti-from-csv -t text garbage
bad 1 "garbage: file name is not <id>_<rating>.txt" "senti-from-imdb: garbage" senti-from-imdb garbage
# messages stay printable: control bytes and invalid UTF-8 come out as \xNN
senti-from-blitzer garbage 2>err
ok "garbage in a message is escaped" bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' err && grep -q 'x[0-9a-f][0-9a-f]' err"
# NUL bytes inside otherwise good lines
printf '5\tgood\000movie\n' >nul.tsv
run senti-tokenize nul.tsv
ok "senti-tokenize: NUL is a separator like other control bytes" grep -qx "5	good movie" out
printf '5 1:1\000 2:1\n' >nul.sp
for c in "senti-cat" "senti-encode -m layer.m" "senti-predict -m net.m" "senti-train -q -o out.m"; do
    bad 1 'nul.sp:1: NUL byte at column 6$' "${c%% *}: NUL byte in a sparse line" $c nul.sp
done
printf '5\t4\000\n' >nul.pred
bad 1 'nul.pred:1: NUL byte in line$' "senti-eval: NUL byte" senti-eval nul.pred
printf 'movie\t1\t1\nba\000d\t1\t1\n' >nul.voc
bad 1 'nul.voc:2: term contains a space or NUL byte$' "senti-bow: NUL in a vocabulary" senti-bow -v nul.voc tok
# senti-split copies lines as they are: every byte of garbage survives
senti-split -k 2 -f 1 garbage >g1
senti-split -k 2 -f 2 garbage >g2
LC_ALL=C sort g1 g2 >g12
{ cat garbage; [ -n "$(tail -c 1 garbage)" ] && echo; } | LC_ALL=C sort >gall
same g12 gall "senti-split loses no byte of binary input"

# ------------------------------------------------------------------------
# invalid UTF-8: repaired (and counted) by default, an error with --strict;
# the other programs carry the bytes through untouched
printf '5\tgood \377 movie \300\200 \355\240\200 x\n' >badutf8
run senti-tokenize badutf8
ok "senti-tokenize: invalid UTF-8 replaced (U+FFFD is no token)" grep -qx $'5\tgood movie x' out
ok "senti-tokenize: replacements counted in a note" grep -q 'invalid UTF-8 sequences replaced' err
bad 1 'badutf8:1: invalid UTF-8 at byte 6 of the text$' "senti-tokenize --strict: invalid UTF-8" \
    senti-tokenize --strict badutf8
clean "senti-vocab: invalid UTF-8 tokens are bytes" senti-vocab badutf8
cp out badutf8.voc
ok "senti-vocab keeps the bytes" grep -q $'^\xff\t1\t1$' badutf8.voc
clean "senti-bow: invalid UTF-8 tokens" senti-bow -v badutf8.voc badutf8
ok "senti-bow: every token found" grep -qx '5 1:1 2:1 3:1 4:1 5:1 6:1' out
printf '<review>\n<rating>\n5.0\n</rating>\n<title>\nt \377\n</title>\n<review_text>\nx \300 y\n</review_text>\n</review>\n' >bad.review
run senti-from-blitzer bad.review
ok "senti-from-blitzer keeps invalid bytes" grep -q $'^5\tt \xff x \xc0 y$' out

# ------------------------------------------------------------------------
# CRLF and no final newline: the same output as the clean input
crlf() { sed 's/$/\r/' "$1"; }
noeol() { if [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]; then head -c -1 "$1"; else cat "$1"; fi; }
same_out() { # description file-clean file-variant command...
    local d=$1 a=$2 b=$3
    shift 3
    "$@" "$a" >o.a 2>/dev/null
    local ra=$?
    "$@" "$b" >o.b 2>e.b
    local rb=$?
    if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
        echo "  exit $ra / $rb" >&2
        sed 's/^/  | /' e.b | head -3 >&2
        t_result 1 "$d"
    else
        same o.a o.b "$d"
    fi
}
crlf tsv >tsv.crlf
noeol tsv >tsv.noeol
crlf tok >tok.crlf
noeol tok >tok.noeol
crlf sp >sp.crlf
noeol sp >sp.noeol
crlf pred >pred.crlf
noeol pred >pred.noeol
crlf voc >voc.crlf
noeol voc >voc.noeol
for v in crlf noeol; do
    same_out "senti-tokenize: $v" tsv tsv.$v senti-tokenize
    same_out "senti-vocab: $v" tok tok.$v senti-vocab
    same_out "senti-vocab -M: $v" voc voc.$v senti-vocab -M
    same_out "senti-bow: $v" tok tok.$v senti-bow -v voc
    same_out "senti-bow: vocabulary with $v" tok tok senti-bow -v voc.$v
    same_out "senti-cat: $v" sp sp.$v senti-cat
    same_out "senti-encode: $v" sp sp.$v senti-encode -m layer.m
    same_out "senti-predict: $v" sp sp.$v senti-predict -m net.m
    same_out "senti-eval: $v" pred pred.$v senti-eval
    # models: read from stdin so that the recorded command lines agree
    senti-pretrain -q -H 4 -E 1 -o - <sp >m.a
    senti-pretrain -q -H 4 -E 1 -o - <sp.$v >m.b
    same m.a m.b "senti-pretrain: $v gives the same model bytes"
    senti-train -q -E 2 -o - <sp >m.a
    senti-train -q -E 2 -o - <sp.$v >m.b
    same m.a m.b "senti-train: $v gives the same model bytes"
done
senti-split -k 3 -f 2 sp.noeol >o.a
senti-split -k 3 -f 2 sp >o.b
same o.a o.b "senti-split: the last line without newline is completed"
tr -d '\r' <"$F/corpora/csv/good.csv" >good.lf.csv
same_out "senti-from-csv: CRLF" good.lf.csv "$F/corpora/csv/good.csv" senti-from-csv -t body -r stars
noeol "$F/corpora/csv/good.csv" >good.noeol.csv
same_out "senti-from-csv: no final newline" "$F/corpora/csv/good.csv" good.noeol.csv senti-from-csv -t body -r stars
noeol "$F/corpora/blitzer/good.review" >noeol.review
same_out "senti-from-blitzer: no final newline" "$F/corpora/blitzer/good.review" noeol.review senti-from-blitzer
crlf "$F/corpora/blitzer/good.review" >crlf.review
same_out "senti-from-blitzer: CRLF" "$F/corpora/blitzer/good.review" crlf.review senti-from-blitzer

# ------------------------------------------------------------------------
# every malformed sparse-line rule, through every program that reads
# sparse lines (reason as in docs/format.md)
rules=(
    '1 0:1|index 0 \(indices start at 1\)'
    '1 4:1 2:1|index 2 not above previous 4'
    '1 4:1 4:1|duplicate index 4'
    '1 99999999999:1|index .* above the limit 2147483647'
    '1 2:nan|value .nan. is not finite'
    '1 2:inf|value .inf. is not finite'
    '1 2:1e999|value .1e999. out of float range'
    '1 7|missing .:. after index 7'
    '1 7:|missing value after .7:.'
    '1 7:0.5x|trailing garbage .x. after value of index 7'
    '1 7:1 junk|missing .:. in .junk.'
    '1 a:1|bad index .a:1.'
    '1 2:abc|bad value .abc. for index 2'
    'five 7:1|bad label .five.'
    'nan 7:1|label .nan. is not finite'
    '|empty line'
    '# senti sparse dim=x|bad header field .dim=x.'
    '# senti sparse dim=5\n1 6:1|index 6 above declared dim=5'
    '# senti sparse dim=5\n# senti sparse dim=6|header dim=6 disagrees with earlier dim=5'
    '# senti sparse vocab=XYZ|bad header field .vocab=XYZ.'
)
sparse_progs=("senti-cat" "senti-encode -m layer.m" "senti-predict -m net.m" "senti-pretrain -q -H 4 -E 1 -o out.m"
    "senti-train -q -E 1 -o out.m")
for r in "${rules[@]}"; do
    line=${r%%|*} re=${r#*|}
    printf '3 1:1\n%b\n' "$line" >rule.sp
    ln=$(($(printf '%b\n' "$line" | wc -l) + 1))
    for c in "${sparse_progs[@]}"; do
        bad 1 "rule.sp:$ln: $re" "${c%% *}: '$line'" $c rule.sp
    done
done
# the same rules on standard input are named (stdin)
printf '3 1:1\n1 0:1\n' >rule.sp
for c in "${sparse_progs[@]}"; do
    expect_fail 1 "^${c%% *}: \\(stdin\\):2: index 0" "${c%% *}: a bad line on stdin is named (stdin)" \
        bash -c "$c <rule.sp"
done
no_temps "no temporary files after rejected lines"

# ------------------------------------------------------------------------
# non-numeric labels and ratings
printf 'good\tnice movie\n' >badlabel.tsv
bad 1 "badlabel.tsv:1: rating 'good' is neither a number nor '\\?'$" "senti-tokenize: word as rating" senti-tokenize badlabel.tsv
bad 1 "badlabel.tsv:1: rating 'good' is neither" "senti-vocab: word as rating" senti-vocab badlabel.tsv
bad 1 "badlabel.tsv:1: rating 'good' is neither" "senti-bow: word as rating" senti-bow -v voc badlabel.tsv
printf '5\tnice\n0x\tbad\n' >badlabel2.tsv
bad 1 "badlabel2.tsv:2: rating '0x' is neither" "senti-tokenize: half a number" senti-tokenize badlabel2.tsv
printf '5\tnan\n' >nanpred
bad 1 "nanpred:1: bad prediction 'nan'" "senti-eval: NaN prediction" senti-eval nanpred
printf 'x\t3\n' >badgold
bad 1 "badgold:1: bad gold rating 'x'" "senti-eval: word as gold rating" senti-eval badgold
printf '? 1:1 2:1\n' >unlab.sp
bad 1 "unlab.sp:1: unlabeled row" "senti-train: unlabeled row" senti-train -q -o out.m unlab.sp
printf 'rating,text\nfive,nice\n' >badr.csv
bad 1 "badr.csv:2: rating 'five' is not a number" "senti-from-csv: word as rating" senti-from-csv -t text -r rating badr.csv
printf '<review>\n<rating>\nfive\n</rating>\n<review_text>\nx\n</review_text>\n</review>\n' >badr.review
bad 1 "badr.review:[0-9]+: .*rating" "senti-from-blitzer: word as rating" senti-from-blitzer badr.review

# ------------------------------------------------------------------------
# indices beyond a model's dimension (60)
printf '3 1:1 61:1\n' >beyond.sp
bad 1 "beyond.sp:1: index 61 above the model's input dimension 60$" "senti-encode: index beyond the layer" senti-encode -m layer.m beyond.sp
bad 1 "beyond.sp:1: index 61 above the model's input dimension 60$" "senti-predict: index beyond the network" senti-predict -m net.m beyond.sp
printf '3 1:1 61:1\n1 2:1\n' >beyond2.sp
bad 1 "beyond2.sp:1: index 61 above the model's input dimension 60$" "senti-train --init: index beyond the layer" senti-train -q -i layer.m -o out.m beyond2.sp
printf '# senti sparse dim=61\n3 1:1\n' >beyondh.sp
bad 1 "beyondh.sp:1: header dim=61 does not match the model's input dimension 60$" "senti-encode: header dim beyond the layer" senti-encode -m layer.m beyondh.sp
cat "$D/train.txt" beyond.sp | grep -v '^#' >more.sp
bad 1 "--resume: the training data differ from those the checkpoint" "senti-pretrain --resume: other dimension" \
    senti-pretrain -q -H 8 -E 2 --checkpoint ck.m --resume -o out.m more.sp

# ------------------------------------------------------------------------
# vocabulary files: duplicates, bad counts, empty terms
printf 'movie\t2\t2\nplot\t1\t1\nmovie\t1\t1\n' >dup.voc
bad 1 "dup.voc:3: duplicate term 'movie' \\(first at line 1\\)$" "senti-bow: duplicate term" senti-bow -v dup.voc tok
printf 'movie\t2\t2\nplot\tx\t1\n' >badc.voc
bad 1 'badc.voc:2: df is not an unsigned integer$' "senti-bow: count not a number" senti-bow -v badc.voc tok
bad 1 'badc.voc:2: df is not an unsigned integer$' "senti-vocab -M: count not a number" senti-vocab -M badc.voc
printf 'movie\t2\t1\n' >cfdf.voc
bad 1 'cfdf.voc:1: cf is smaller than df$' "senti-bow: cf < df" senti-bow -v cfdf.voc tok
bad 1 'cfdf.voc:1: cf is smaller than df$' "senti-vocab -M: cf < df" senti-vocab -M cfdf.voc
printf 'movie\t-2\t2\n' >neg.voc
bad 1 'neg.voc:1: df is not an unsigned integer$' "senti-vocab -M: negative count" senti-vocab -M neg.voc
printf 'movie\t1\t99999999999999999999999\n' >big.voc
bad 1 'big.voc:1: cf is not an unsigned integer' "senti-vocab -M: count overflowing 64 bits" senti-vocab -M big.voc
printf 'movie\t1\t1\t1\n' >four.voc
bad 1 'four.voc:1: cf is not an unsigned integer \(or there are more than 3 fields\)$' "senti-bow: four fields" senti-bow -v four.voc tok
printf 'movie\n\nplot\n' >blank.voc
bad 1 'blank.voc:2: empty term$' "senti-bow: blank line in a vocabulary" senti-bow -v blank.voc tok
printf 'movie\t1\n' >two.voc
bad 1 'two.voc:1: expected term<TAB>df<TAB>cf$' "senti-vocab -M: two fields" senti-vocab -M two.voc
bad 1 'empty: empty vocabulary$' "senti-bow: empty vocabulary" senti-bow -v empty tok
printf 'movie\nplot\n' >plain.voc
clean "senti-bow: a plain word list is a vocabulary" senti-bow -v plain.voc tok
printf 'a\t1\t1\na\t2\t3\n' >dupm.voc
clean "senti-vocab -M: a term twice in one file is summed" senti-vocab -M dupm.voc
ok "summed" grep -qx $'a\t3\t4' out

# ------------------------------------------------------------------------
# models: truncated at every offset of the header, corrupted bytes, wrong
# kind (the container itself is checked exhaustively in test_model.c)
# header: 36 bytes, the command line, 12 bytes of extra length and layer
# count, 52 bytes of layer settings, 24 bytes of the first tensor's header
cl=$(od -An -tu4 -j32 -N4 layer.m | tr -d ' ')
hdr_end=$((36 + cl + 12 + 52 + 24))
size=$(stat -c %s layer.m)
step=1
[ "$S" = 1 ] && step=7
trunc_bad=0
for ((n = 0; n < hdr_end; n += step)); do
    head -c $n layer.m >t.m
    senti-encode -m t.m sp >/dev/null 2>err
    r=$?
    if [ $r -ne 1 ] || [ "$(wc -l <err)" -ne 1 ] || ! grep -Eq '^senti-encode: t.m: (truncated at byte|bad magic)' err; then
        trunc_bad=$((trunc_bad + 1))
        [ $trunc_bad -le 3 ] && { echo "  truncated at $n: exit $r" >&2; sed 's/^/  | /' err >&2; }
    fi
done
t_result $trunc_bad "senti-encode: model truncated at every header offset (0..$hdr_end)"
for n in $((size / 3)) $((size / 2)) $((size - 9)) $((size - 1)); do
    head -c $n layer.m >t.m
    bad 1 "t.m: truncated at byte $n" "senti-encode: model truncated at byte $n of $size" senti-encode -m t.m sp
    bad 1 "t.m: truncated at byte $n" "senti-inspect: model truncated at byte $n" senti-inspect t.m
    bad 1 "t.m: truncated at byte $n" "senti-train --init: model truncated at byte $n" senti-train -q -i t.m -o out.m sp
done
head -c 100 net.m >t.m
bad 1 "t.m: truncated at byte 100" "senti-predict: truncated network" senti-predict -m t.m sp
head -c 150 ck.m >t.m
bad 1 "t.m: truncated at byte 150" "senti-pretrain --resume: truncated checkpoint" \
    senti-pretrain -q -H 8 -E 2 --checkpoint t.m --resume -o out.m sp
flip() { # file offset -> t.m: a copy with that byte inverted
    cp "$1" t.m
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1")
    printf "\\$(printf %o $((255 - b)))" | dd of=t.m bs=1 seek="$2" conv=notrunc status=none
}
flip_bad=0
fstep=3
[ "$S" = 1 ] && fstep=13
for ((o = 0; o < size; o += (o < hdr_end ? fstep : 97))); do
    flip layer.m $o
    senti-encode -m t.m sp >/dev/null 2>err
    r=$?
    if [ $r -ne 1 ] || [ "$(wc -l <err)" -ne 1 ] ||
        ! grep -Eq '^senti-encode: t.m: (checksum mismatch|bad magic|unsupported format version|truncated at)' err; then
        flip_bad=$((flip_bad + 1))
        [ $flip_bad -le 3 ] && { echo "  byte $o flipped: exit $r" >&2; sed 's/^/  | /' err >&2; }
    fi
done
t_result $flip_bad "senti-encode: a flipped byte anywhere in the model is caught"
for o in 0 9 30 last; do
    [ $o = last ] && o=$(($(stat -c %s net.m) - 1))
    flip net.m $o
    bad 1 "t.m: (checksum mismatch|bad magic|unsupported)" "senti-predict: network byte $o flipped" senti-predict -m t.m sp
    [ $o -gt 30 ] && o=$(($(stat -c %s ck.m) - 1))
    flip ck.m $o
    bad 1 "t.m: (checksum mismatch|bad magic|unsupported)" "senti-pretrain --resume: checkpoint byte $o flipped" \
        senti-pretrain -q -H 8 -E 2 --checkpoint t.m --resume -o out.m sp
    [ $o -gt 30 ] && o=$((size - 1))
    flip layer.m $o
    bad 1 "t.m: (checksum mismatch|bad magic|unsupported)" "senti-inspect: layer byte $o flipped" senti-inspect t.m
done
bad 1 'net.m: wrong kind: this is a network model, a layer model is needed$' "senti-encode: a network model" senti-encode -m net.m sp
bad 1 'layer.m: a layer model, not a network$' "senti-predict: a layer model" senti-predict -m layer.m sp
bad 1 'ck.m: wrong kind: this is a checkpoint model, a layer model is needed$' "senti-encode: a checkpoint" senti-encode -m ck.m sp
bad 1 'net.m: wrong kind: this is a network model, a layer model is needed$' "senti-train --init: a network model" senti-train -q -i net.m -o out.m sp
bad 1 'layer.m: a layer model, not a checkpoint$' "senti-pretrain --resume: a layer model" \
    senti-pretrain -q -H 8 -E 2 --checkpoint layer.m --resume -o out.m sp
bad 1 'sp: bad magic: not a senti model file$' "senti-predict: a data file as model" senti-predict -m sp sp
no_temps "no temporary files after bad models"

# ------------------------------------------------------------------------
# missing and unreadable files, directories as input
mkdir -p adir
printf 'secret\n' >locked
chmod 000 locked
as_user=()
can_lock=1
if [ "$(id -u)" -eq 0 ]; then
    # root reads anything: run as nobody to see a permission error (when
    # nobody may run the programs from where they are)
    can_lock=0
    chmod 755 "$T"
    chmod 644 layer.m net.m voc
    if command -v setpriv >/dev/null &&
        setpriv --reuid=65534 --regid=65534 --clear-groups senti-cat --version >/dev/null 2>&1; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
        can_lock=1
    else
        echo "badinput: unreadable files not tried (root, and nobody cannot run $B)"
    fi
fi
for c in "${progs[@]}"; do
    p=${c%% *}
    bad 1 'nosuch: No such file or directory$' "$p: missing file" $c nosuch
    if [ "$p" = senti-from-imdb ]; then
        # a directory is what senti-from-imdb walks
        clean "$p: an empty directory" $c adir
    else
        bad 1 'adir: (read error: )?Is a directory$' "$p: directory as input" $c adir
    fi
    if [ $can_lock = 1 ]; then
        [ "$p" = senti-from-imdb ] && continue
        # (outputs are checked first: -o to where nobody may write)
        bad 1 'locked: Permission denied$' "$p: unreadable file" "${as_user[@]}" ${c/-o out.m/-o \/dev\/null} locked
    fi
done
bad 1 'adir: Is a directory$' "senti-bow: directory as vocabulary" senti-bow -v adir tok
bad 1 'adir: (read error: )?Is a directory$' "senti-encode: directory as model" senti-encode -m adir sp
bad 1 'adir: (read error: )?Is a directory$' "senti-predict: directory as model" senti-predict -m adir sp
bad 1 'adir: (read error: )?Is a directory$' "senti-train: directory as --init" senti-train -q -i adir -o out.m sp
bad 1 'adir: (read error: )?Is a directory$' "senti-train: directory as --valid" senti-train -q -v adir -o out.m sp
bad 1 'adir: (read error: )?Is a directory$' "senti-tokenize: directory as stop words" senti-tokenize -S adir tsv
bad 1 'adir: Is a directory$' "senti-train: directory as -o" senti-train -q -o adir sp
bad 1 'nodir/m: cannot create temporary file: No such file or directory$' "senti-train: -o in a missing directory" \
    senti-train -q -o nodir/m sp
bad 1 'nodir/m: cannot create temporary file' "senti-pretrain: -o in a missing directory" senti-pretrain -q -H 4 -o nodir/m sp
bad 1 'nodir/x: cannot create temporary file' "senti-split: --train in a missing directory" senti-split --train nodir/x sp
chmod 644 locked
no_temps "no temporary files after unreadable inputs"

# ------------------------------------------------------------------------
# /dev/full as output: the write error is reported, exit 1, and the device
# is written to, never replaced by a rename
big_out() { # program -> input big enough to need several writes
    case $1 in
    senti-tokenize) echo tsv10k ;;
    senti-vocab) echo tok10k ;;
    senti-bow) echo tok10k ;;
    senti-eval) echo pred ;;
    senti-inspect) echo layer.m ;;
    senti-from-blitzer) echo "$F/corpora/blitzer/good.review" ;;
    senti-from-opinrank) echo "$F/corpora/opinrank/sample" ;;
    senti-from-csv) echo "-t body $F/corpora/csv/good.csv" ;;
    senti-from-imdb) echo "$F/corpora/imdb/aclImdb" ;;
    senti-vocab-M) echo voc ;;
    *) echo sp10k ;;
    esac
}
for _ in $(seq 400); do cat tsv; done >tsv10k
senti-tokenize tsv10k >tok10k
for _ in $(seq 30); do grep -v '^#' sp; done >sp10k
for c in "senti-tokenize" "senti-vocab" "senti-bow -v voc" "senti-cat" "senti-split -k 2" "senti-encode -m layer.m" \
    "senti-predict -m net.m" "senti-eval" "senti-inspect -T" "senti-from-blitzer" "senti-from-opinrank" \
    "senti-from-csv" "senti-from-imdb -q"; do
    p=${c%% *}
    bad 1 'write error on standard output: No space left on device$' "$p: /dev/full as output" \
        bash -c "$c $(big_out "$p") >/dev/full"
done
bad 1 'write error on standard output: No space left on device$' "senti-vocab -M: /dev/full as output" \
    bash -c "senti-vocab -M voc >/dev/full"
bad 1 '/dev/full: write error: No space left on device$' "senti-train -o /dev/full" senti-train -q -E 1 -o /dev/full sp
bad 1 '/dev/full: write error: No space left on device$' "senti-pretrain -o /dev/full" senti-pretrain -q -H 4 -E 1 -o /dev/full sp
bad 1 'write error on standard output: No space left on device$' "senti-train -o - to /dev/full" \
    bash -c "senti-train -q -E 1 -o - sp >/dev/full"
bad 1 '/dev/full: write error: No space left on device$' "senti-split --train /dev/full" senti-split --train /dev/full --test t.out sp
bad 1 '/dev/full: write error: No space left on device$' "senti-train --log /dev/full" senti-train -q -E 1 --log /dev/full -o out.m sp
bad 1 '/dev/full: write error: No space left on device$' "senti-pretrain --log /dev/full" senti-pretrain -q -H 4 -E 1 --log /dev/full -o out.m sp
bad 1 '/dev/full: write error: No space left on device$' "senti-train --checkpoint /dev/full" senti-train -q -E 1 --checkpoint /dev/full -o out.m sp
senti-train -q -H 4 -E 1 -o net4.m sp
bad 1 '/dev/full: write error: No space left on device$' "senti-predict --sparsity /dev/full" senti-predict -m net4.m --sparsity /dev/full sp
ok "/dev/full is still a character device" test -c /dev/full
clean "-o /dev/null works" senti-train -q -E 1 -o /dev/null sp
ok "/dev/null is still a character device" test -c /dev/null
no_temps "no temporary files after write errors"

# ------------------------------------------------------------------------
# a closed pipe downstream: quiet, also when SIGPIPE is ignored or blocked
# by the parent (the programs reset it)
for c in "senti-tokenize tsv10k" "senti-bow -v voc tok10k" "senti-cat sp10k" "senti-split -k 2 sp10k" \
    "senti-encode -m layer.m sp10k" "senti-predict -m net.m sp10k" "senti-inspect -T layer.m layer.m layer.m" \
    "senti-from-csv -t text tsv10k.csv" "senti-train -q -E 1 -o - sp10k"; do
    p=${c%% *}
    [ -e tsv10k.csv ] || { echo text; sed 's/^[0-9]*\t/"/; s/$/"/' tsv10k; } >tsv10k.csv
    for mode in default ignored; do
        if [ $mode = ignored ]; then
            (trap '' PIPE; $c 2>err | head -c 1 >/dev/null)
        else
            ($c 2>err | head -c 1 >/dev/null)
        fi
        ok "$p | head ($mode SIGPIPE): no message" test ! -s err
    done
done
# the programs that write at the end, and the converters, on inputs whose
# output is well beyond a pipe's 64 KB
seq -f '5	t%.0f' 1 100000 >manyterms.tok
senti-vocab manyterms.tok >many.voc
for _ in $(seq 600); do cat "$F/corpora/blitzer/good.review"; echo; done >many.review
for _ in $(seq 1200); do cat "$F/corpora/opinrank/sample"; echo; done >many.opinrank
mkdir -p imdbbig/train/pos
for i in $(seq 200); do head -c 2000 tsv10k | tr '\t\n' '  ' >"imdbbig/train/pos/${i}_9.txt"; done
for c in "senti-vocab manyterms.tok" "senti-vocab -M many.voc many.voc" "senti-from-blitzer many.review" \
    "senti-from-opinrank many.opinrank" "senti-from-imdb -q imdbbig" "senti-tokenize -g 3 tsv10k"; do
    p=${c%% *}
    ($c 2>err | head -c 1 >/dev/null)
    ok "$p | head (${c#* }): no message" test ! -s err
    (trap '' PIPE; $c 2>err | head -c 1 >/dev/null)
    ok "$p | head (${c#* }, SIGPIPE ignored): no message" test ! -s err
done

# ------------------------------------------------------------------------
# a 100 MB line (10 MB under the sanitizers): accepted whole by the text
# programs, refused with its line number where it breaks a rule
mb=100
[ "$S" = 1 ] && mb=10
words=$((mb * 1000000 / 10))
awk -v n=$words 'BEGIN {
    printf "4\t"; s = "aaaaaaaaa"; for (i = 1; i < 10; i++) s = s " aaaaaaaaa"
    for (i = 0; i < n / 10; i++) printf "%s ", s
    printf "\n2\tshort line\n" }' >big.tsv
run senti-tokenize big.tsv
ok "senti-tokenize: a ${mb} MB line" test "$rc" -eq 0 -a "$(wc -l <out)" -eq 2
ok "senti-tokenize: nothing lost from the ${mb} MB line" test "$(head -1 out | wc -w)" -eq $((words + 1))
mv out big.tok
run senti-vocab big.tok
ok "senti-vocab: counts of the ${mb} MB line" grep -qx "aaaaaaaaa	1	$words" out
mv out big.voc
run senti-bow -v big.voc big.tok
ok "senti-bow: the ${mb} MB line" grep -qx '4 1:1' out
# a sparse line of ${mb} MB: a million entries and blanks, written back in
# canonical form
{ printf '1'; seq -f ' %.0f:1' 1 1000000 | tr -d '\n'; } >big.want
{ cat big.want; head -c $((mb * 1000000)) /dev/zero | tr '\0' ' '; printf ' \n'; } >big.sp
echo >>big.want
senti-cat --no-header big.sp >out
ok "senti-cat: a ${mb} MB sparse line read and written back" cmp -s out big.want
senti-split -k 2 -f 1 big.sp >o1
senti-split -k 2 -f 2 big.sp >o2
cat o1 o2 >o12
ok "senti-split: the ${mb} MB line kept whole" cmp -s o12 big.sp
bad 1 "big.sp:1: index 61 above the model's input dimension 60$" "senti-encode: ${mb} MB line beyond the layer" senti-encode -m layer.m big.sp
bad 1 "big.sp:1: index 61 above the model's input dimension 60$" "senti-predict: ${mb} MB line beyond the network" senti-predict -m net.m big.sp
{ printf '3\t'; head -c $((mb * 1000000)) /dev/zero | tr '\0' '7'; printf 'x\n'; } >big.pred
bad 1 "big.pred:1: bad prediction '7{30}\\.\\.\\.' \\(expected" "senti-eval: ${mb} MB prediction" senti-eval big.pred
{ echo text; printf '"'; head -c $((mb * 1000000)) /dev/zero | tr '\0' 'b'; printf '"\n'; } >big.csv
run senti-from-csv -t text big.csv
ok "senti-from-csv: a ${mb} MB field" test "$rc" -eq 0 -a "$(wc -c <out)" -eq $((mb * 1000000 + 3))
rm -f big.*

finish
