#!/usr/bin/env bash
# header.sh - the '# senti sparse' header and what the reader promises about
# it (docs/format.md): files named together are one stream whose headers
# must agree (senti-cat keeps the header and the vocabulary digest whatever
# the order of files with and without one), every header line is checked
# against a model's dimension and digest wherever it stands, malformed
# header fields are refused, quoted bytes are escaped as \xNN, and text fed
# where sparse lines belong is named as such.
. "$(dirname "$0")/lib.sh"
D=$F/dae
cd "$T" || exit 1
senti-pretrain -q -H 6 -E 1 -o layer.m "$D/train.txt"
senti-train -q -E 1 -o net.m "$D/train.txt"
V=00000000000000aa # the fixture's digest

# ------------------------------------------------------------------------
# senti-cat: several files are one stream
printf '# senti sparse dim=5\n1 3:1\n' >a
printf '2 6:1\n' >b
expect_fail 1 '^senti-cat: b:1: index 6 above declared dim=5 \(a:1\)$' \
    "a header-less later file is checked against an earlier dim=" senti-cat a b
expect_fail 1 '^senti-cat: b:1: index 6 above declared dim=5 \(a:1\)$' "the same with --check" senti-cat --check a b
printf '# senti sparse dim=6\n2 6:1\n' >b6
expect_fail 1 '^senti-cat: b6:1: header dim=6 disagrees with earlier dim=5 \(a:1\)$' \
    "a later file's other dim= names where the first was declared" senti-cat a b6
printf '1 6:1\n' >big
expect_fail 1 '^senti-cat: a:1: header dim=5 is below index 6 seen earlier$' \
    "a dim= below an index of an earlier file" senti-cat big a
# the header is kept, or written where its information is first known
printf '# senti sparse\n1 3:1\n' >bare
printf '# senti sparse dim=5\n2 4:1\n' >d5
senti-cat bare d5 >out
printf '1 3:1\n# senti sparse dim=5\n2 4:1\n' >want
same out want "a bare header, then dim=5 in the next file: the dim= header is kept"
printf '1 3:1\n' >nohead
printf "# senti sparse dim=5 vocab=$V\n2 4:1\n" >withvocab
senti-cat nohead withvocab >out
printf "1 3:1\n# senti sparse dim=5 vocab=$V\n2 4:1\n" >want
same out want "a header-less file, then one with vocab=: the digest is kept"
senti-cat out >out2
same out2 want "that output reads back to itself"
senti-cat withvocab nohead >out
printf "# senti sparse dim=5 vocab=$V\n2 4:1\n1 3:1\n" >want
same out want "header first when the first file has it"
printf "# senti sparse vocab=$V\n1 3:1\n" >vonly
senti-cat vonly >out
same out vonly "a header with vocab= and no dim= is written without dim=0"
printf '# senti sparse dim=5\n' >honly
senti-cat honly >out
same out honly "a header-only file keeps its header"

# ------------------------------------------------------------------------
# every header line is checked against a model, before or after rows (D7)
printf "1 3:1\n# senti sparse dim=60 vocab=00000000000000bb\n1 3:1\n" >late
for c in "senti-predict -m net.m" "senti-encode -m layer.m"; do
    expect_fail 1 "^${c%% *}: late:2: vocabulary digest 00000000000000bb differs from the model's $V\$" \
        "${c%% *}: a header after rows is checked" $c late
done
printf "# senti sparse dim=60 vocab=00000000000000bb\n" >honly.bb
for c in "senti-predict -m net.m" "senti-encode -m layer.m"; do
    expect_fail 1 "^${c%% *}: honly.bb:1: vocabulary digest 00000000000000bb differs from the model's $V\$" \
        "${c%% *}: a header-only input is checked too" $c honly.bb
done
printf "1 3:1\n" >ok1
printf "# senti sparse vocab=00000000000000bb\n1 3:1\n" >bb2
for c in "senti-predict -m net.m" "senti-encode -m layer.m"; do
    expect_fail 1 "^${c%% *}: bb2:1: vocabulary digest 00000000000000bb differs" \
        "${c%% *}: a second file's header is checked" $c ok1 bb2
done
run senti-predict -m net.m ok1 ok1
ok "senti-predict: header-less files are accepted" test "$rc" -eq 0 -a "$(wc -l <out)" -eq 2
printf '1 3:1\n# senti sparse dim=61\n' >late61
expect_fail 1 "^senti-predict: late61:2: header dim=61 does not match the model's input dimension 60\$" \
    "senti-predict: a dim= after rows is checked" senti-predict -m net.m late61
# senti-cat -v checks a digest against the vocabulary
printf 'a\t3\t3\nb\t2\t2\nc\t1\t1\n' >voc3
printf "# senti sparse dim=3 vocab=00000000000000bb\n1 3:1\n" >bb3
expect_fail 1 "^senti-cat: bb3:1: vocabulary digest 00000000000000bb differs from the vocabulary's [0-9a-f]{16}\$" \
    "senti-cat -v: another digest refused" senti-cat -v voc3 bb3

# ------------------------------------------------------------------------
# malformed header fields (D16)
hbad() { # header-fields regex description
    printf '# senti sparse %s\n1 3:1\n' "$1" >hb
    for c in "senti-cat" "senti-predict -m net.m" "senti-encode -m layer.m"; do
        expect_fail 1 "^${c%% *}: hb:1: $2\$" "${c%% *}: $3" $c hb
    done
}
hbad 'dim=' "bad header field 'dim=' \\(dim must be 1\\.\\.2147483647\\)" "empty dim="
hbad 'dim= 5' "bad header field 'dim=' \\(dim must be 1\\.\\.2147483647\\)" "dim= with a blank before the number"
hbad 'dim=5 dim=6' 'header field dim= given twice' "dim= twice in one header"
hbad 'dim=5 dim=5' 'header field dim= given twice' "dim= twice, same value"
hbad "vocab=$V vocab=00000000000000bb" 'header field vocab= given twice' "vocab= twice"
hbad 'vocab=' "bad header field 'vocab=' \\(vocab must be 16 lowercase hex digits\\)" "empty vocab="
hbad 'dim=5 5' "bad header field '5' \\(fields are key=value\\)" "a field that is not key=value"
hbad '=5' "bad header field '=5' \\(fields are key=value\\)" "a field without a key"
printf '# senti sparse dim=60 future=yes\n1 3:1\n' >hf
run senti-cat hf
ok "unknown key=value fields are still accepted" test "$rc" -eq 0
printf '# senti sparsely\n# a comment\n1 3:1\n' >hc
run senti-cat hc
ok "other '#' lines are comments" test "$rc" -eq 0 -a "$(cat out)" = "1 3:1"

# ------------------------------------------------------------------------
# bytes quoted in messages: printable ASCII and valid UTF-8 as they are,
# the rest as \xNN (D8)
printf 'caf\303\251 3:1\n' >utf8
for c in "senti-cat" "senti-predict -m net.m" "senti-encode -m layer.m" "senti-train -q -o x.m"; do
    expect_fail 1 "^${c%% *}: utf8:1: bad label 'caf"$'\303\251'"'\$" "${c%% *}: valid UTF-8 quoted as it is" $c utf8
done
printf '1 3:1\001\n' >ctl
printf '\377x 3:1\n' >inv
for c in "senti-cat" "senti-predict -m net.m" "senti-pretrain -q -o x.m"; do
    expect_fail 1 "^${c%% *}: ctl:1: trailing garbage '\\\\x01' after value of index 3\$" \
        "${c%% *}: a control byte as \\x01" $c ctl
    expect_fail 1 "^${c%% *}: inv:1: bad label '\\\\xffx'\$" "${c%% *}: invalid UTF-8 as \\xff" $c inv
done
printf '# senti sparse dim=\033[31m\n' >hesc
expect_fail 1 "^senti-cat: hesc:1: bad header field 'dim=\\\\x1b\\[31m'" "an escape in a header field" senti-cat hesc

# ------------------------------------------------------------------------
# text where sparse lines belong: the message names the skipped steps
printf '5\tHorrible product, broke at once\n' >raw.tsv
for c in "senti-cat" "senti-predict -m net.m" "senti-encode -m layer.m" "senti-train -q -o x.m" "senti-pretrain -q -o x.m"; do
    expect_fail 1 "^${c%% *}: raw.tsv:1: missing ':' in 'Horrible' \\(text, not sparse lines: run senti-tokenize, then senti-bow -v VOCAB, first\\)\$" \
        "${c%% *}: raw text names senti-tokenize and senti-bow" $c raw.tsv
done
printf '5\thorrible product\n' >tok.tsv
expect_fail 1 "^senti-cat: tok.tsv:1: missing ':' in 'horrible' \\(tokens or text, not sparse lines: run senti-bow -v VOCAB, after senti-tokenize, first\\)\$" \
    "token lines name senti-bow" senti-cat tok.tsv
printf 'Great product\t5\n' >raw2.tsv
expect_fail 1 "^senti-cat: raw2.tsv:1: bad label 'Great' \\(text, not sparse lines" "text before the rating" senti-cat raw2.tsv
printf '1 7:1 junk\n' >junk
expect_fail 1 "^senti-cat: junk:1: missing ':' in 'junk'\$" "no hint on a sparse line with a stray word" senti-cat junk
printf 'five 7:1\n' >five
expect_fail 1 "^senti-cat: five:1: bad label 'five'\$" "no hint on a sparse line with a word label" senti-cat five
finish
