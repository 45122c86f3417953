# tests/sh/corpora.sh - the corpus converters senti-from-{blitzer,imdb,
# opinrank,csv} on small hand-written fixtures that reproduce the quirks of
# the real corpora (docs/corpora.md), byte for byte, plus their errors.
. "$(dirname "$0")/lib.sh"
C=$F/corpora

# check_out EXPECTED DESCRIPTION CMD...: CMD exits 0, prints nothing on
# stderr and writes EXPECTED exactly.
check_out() {
    local exp=$1 d=$2; shift 2
    run "$@"
    if [ "$rc" -ne 0 ] || [ -s "$T/err" ]; then
        echo "  exit $rc" >&2; sed 's/^/  | /' "$T/err" | head -5 >&2
        t_result 1 "$d"
        return
    fi
    same "$T/out" "$exp" "$d"
}

# ---------------------------------------------------------------- common CLI
for p in from-blitzer from-imdb from-opinrank from-csv; do
    run senti-$p --help
    [ "$rc" -eq 0 ] && grep -q '^Usage: senti-'$p "$T/out" && grep -q -- '--version' "$T/out"
    t_result $? "$p --help on stdout, exit 0"
    run senti-$p --version
    [ "$rc" -eq 0 ] && grep -Eq "^senti-$p \(senti\) [0-9]" "$T/out"
    t_result $? "$p --version"
    expect_fail 2 "unrecognized option '--bogus'" "$p: unknown option exits 2" senti-$p --bogus
done
run senti-from-csv --help
grep -q '\[auto\]' "$T/out" && grep -q '\[none: every label is ?\]' "$T/out"
t_result $? "from-csv --help shows the defaults"

# ---------------------------------------------------------------- blitzer
b=$C/blitzer
check_out "$b/good.expected" "blitzer: bare &, < > in text, multi-line text, U+FFFD, duplicates kept, no final newline" \
    senti-from-blitzer "$b/good.review"
check_out "$b/notitle.expected" "blitzer: --no-title" senti-from-blitzer --no-title "$b/good.review"
check_out "$b/good.expected" "blitzer: reads stdin" senti-from-blitzer <"$b/good.review"
sed 's/$/\r/' "$b/good.review" >"$T/crlf.review"
check_out "$b/good.expected" "blitzer: CRLF line ends give the same lines" senti-from-blitzer "$T/crlf.review"
check_out "$b/inline.expected" "blitzer: one-line fields, blank lines between records" \
    senti-from-blitzer "$b/inline.review"
cat "$b/good.expected" "$b/inline.expected" >"$T/two.expected"
check_out "$T/two.expected" "blitzer: several files in order" \
    senti-from-blitzer "$b/good.review" - <"$b/inline.review"
run senti-from-blitzer "$b/good.review"
[ "$(grep -c . "$T/out")" -eq 5 ] && [ "$(sort "$T/out" | uniq -d | wc -l)" -eq 1 ]
t_result $? "blitzer: the duplicate review is kept"
! grep -q "$(printf '\r')" "$T/out" && [ "$(awk -F'\t' 'NF != 2' "$T/out" | wc -l)" -eq 0 ]
t_result $? "blitzer: exactly one tab per line, no CR"

expect_fail 1 '^senti-from-blitzer: .*unclosed\.review:56: <review> inside <title> opened at line 55 \(missing </title>\)$' \
    "blitzer: unclosed field" senti-from-blitzer "$b/unclosed.review"
expect_fail 1 '^senti-from-blitzer: .*unclosed2\.review:55: <review> inside the record opened at line 36 \(missing </review>\)$' \
    "blitzer: unclosed <review>" senti-from-blitzer "$b/unclosed2.review"
expect_fail 1 '^senti-from-blitzer: .*norating\.review:36: record has no <rating>$' \
    "blitzer: record without rating" senti-from-blitzer "$b/norating.review"
expect_fail 1 "^senti-from-blitzer: .*badrating\\.review:17: rating 'five' is not a number\$" \
    "blitzer: rating not a number" senti-from-blitzer "$b/badrating.review"
expect_fail 1 '^senti-from-blitzer: .*eof\.review:32: <review_text> not closed before end of file$' \
    "blitzer: end of file inside a field" senti-from-blitzer "$b/eof.review"
expect_fail 1 "^senti-from-blitzer: .*stray\\.review:36: expected <review>, found 'stray text'\$" \
    "blitzer: text between records" senti-from-blitzer "$b/stray.review"
head -c 200 "$b/good.review" >"$T/cut.review"
expect_fail 1 '^senti-from-blitzer: .*cut\.review:1: <review> not closed before end of file$' \
    "blitzer: truncated file" senti-from-blitzer "$T/cut.review"
printf '<review>\n<rating>\n5.0\n</rating>\n<review_text>\na\0b\n</review_text>\n</review>\n' >"$T/nul.review"
expect_fail 1 '^senti-from-blitzer: .*nul\.review:6: NUL byte in <review_text>$' \
    "blitzer: NUL byte" senti-from-blitzer "$T/nul.review"
printf '<review>\n<rating>\n5\n</rating>\n<rating>\n4\n</rating>\n<review_text>\nx\n</review_text>\n</review>\n' >"$T/two.review"
expect_fail 1 '^senti-from-blitzer: .*two\.review:5: second <rating> in the record opened at line 1$' \
    "blitzer: two ratings in one record" senti-from-blitzer "$T/two.review"
expect_fail 1 '^senti-from-blitzer: .*nosuch\.review: No such file or directory$' \
    "blitzer: missing file" senti-from-blitzer "$T/nosuch.review"

# ---------------------------------------------------------------- imdb
i=$C/imdb/aclImdb
check_out "$C/imdb/train.expected" \
    "imdb: numeric id order, <br /> variants, unsup rating 0 -> ?, CRLF, no final newline" \
    senti-from-imdb -q "$i/train"
run senti-from-imdb "$i/train"
same "$T/out" "$C/imdb/train.expected" "imdb: same output without -q"
grep -Eq '^senti-from-imdb: .*/train: passed over 2 files not named <id>_<rating>\.txt$' "$T/err"
t_result $? "imdb: a note names the files passed over"
check_out "$C/imdb/pos-keep-html.expected" "imdb: --keep-html" senti-from-imdb --keep-html "$i/train/pos"
run senti-from-imdb -q "$i/train/pos/10_7.txt" "$i/train/unsup/5_0.txt"
printf '7\tTen sorts after two. Break here too\n?\tUnlabeled five\n' >"$T/files.expected"
same "$T/out" "$T/files.expected" "imdb: single files named on the command line"
expect_fail 1 '^senti-from-imdb: .*/README: file name is not <id>_<rating>\.txt$' \
    "imdb: a named file must be <id>_<rating>.txt" senti-from-imdb "$i/README"
mkdir -p "$T/nul"
printf 'line one\nbad\0byte' >"$T/nul/4_3.txt"
expect_fail 1 '^senti-from-imdb: .*/nul/4_3\.txt:2: NUL byte in review text$' \
    "imdb: NUL byte" senti-from-imdb "$T/nul"
# links: a linked review file is read, a linked directory (a sibling, a loop) passed over with a note
mkdir -p "$T/lk/train/pos" "$T/lk/other"
printf 'good one' >"$T/lk/train/pos/1_9.txt"
printf 'linked file' >"$T/lk/other/2_8.txt"
ln -s ../../other/2_8.txt "$T/lk/train/pos/2_8.txt"
ln -s pos "$T/lk/train/again"
ln -s .. "$T/lk/train/pos/loop"
run senti-from-imdb "$T/lk/train"
printf '9\tgood one\n8\tlinked file\n' >"$T/lk.expected"
ok "imdb: links to directories are not walked (exit 0)" test "$rc" -eq 0
same "$T/out" "$T/lk.expected" "imdb: each review once, the linked file read"
ok "imdb: a note counts the 2 links passed over" grep -Eq '^senti-from-imdb: .*/lk/train: passed over 2 symbolic links to a directory' "$T/err"
expect_fail 2 'no PATH given' "imdb: no PATH is misuse" senti-from-imdb
expect_fail 1 'nosuch: No such file or directory' "imdb: missing directory" senti-from-imdb "$T/nosuch"
# many files: order and speed
mkdir -p "$T/many"
(cd "$T/many" && for k in $(seq 0 1999); do printf 'review %d<br />' "$k" >"${k}_$((k % 10 + 1)).txt"; done)
run senti-from-imdb "$T/many"
awk -F'\t' '{ split($2, w, " "); if (w[2] != NR - 1) bad = 1 } END { exit bad || NR != 2000 }' "$T/out"
t_result $? "imdb: 2000 files in numeric id order"

# ---------------------------------------------------------------- opinrank
o=$C/opinrank
check_out "$o/sample.expected" "opinrank: CRLF, DOCNO line, multi-line TEXT, & and <, no final newline" \
    senti-from-opinrank "$o/sample"
check_out "$o/favorite.expected" "opinrank: --favorite appends FAVORITE" senti-from-opinrank -f "$o/sample"
tr -d '\r' <"$o/sample" | check_out "$o/sample.expected" "opinrank: LF line ends, stdin" senti-from-opinrank
expect_fail 1 '^senti-from-opinrank: .*notext:1: record has no <TEXT>$' \
    "opinrank: DOC without TEXT" senti-from-opinrank "$o/notext"
expect_fail 1 '^senti-from-opinrank: .*unclosed:4: <DOC> inside the record opened at line 2 \(missing </DOC>\)$' \
    "opinrank: unclosed DOC" senti-from-opinrank "$o/unclosed"
expect_fail 1 '^senti-from-opinrank: .*opentext:3: </DOC> inside <TEXT> opened at line 2 \(missing </TEXT>\)$' \
    "opinrank: unclosed TEXT" senti-from-opinrank "$o/opentext"
printf 'garbage\n' >"$T/garbage"
expect_fail 1 "^senti-from-opinrank: .*garbage:1: expected <DOC>, found 'garbage'\$" \
    "opinrank: not an OpinRank file" senti-from-opinrank "$T/garbage"

# ---------------------------------------------------------------- csv
c=$C/csv
check_out "$c/good.expected" \
    "csv: BOM, CRLF, \"\" escapes, embedded newlines and commas, blank line, empty rating, no final newline" \
    senti-from-csv -r stars -t title,body "$c/good.csv"
check_out "$c/good.expected" "csv: --text given twice, long options" \
    senti-from-csv --rating stars --text title --text body "$c/good.csv"
check_out "$c/body-only.expected" "csv: no --rating gives ?" senti-from-csv -t body "$c/good.csv"
check_out "$c/tsv.expected" "csv: tab separator chosen by the .tsv extension" \
    senti-from-csv -r rating -t text "$c/good.tsv"
check_out "$c/tsv.expected" "csv: --sep tab on stdin" senti-from-csv -s tab -r rating -t text <"$c/good.tsv"
check_out "$c/noquote.expected" "csv: --no-quotes" senti-from-csv -Q -r rating -t text "$c/noquote.tsv"
printf 'r;t\n1;"a;b"\n' >"$T/semi.txt"
printf '1\ta;b\n' >"$T/semi.expected"
check_out "$T/semi.expected" "csv: --sep ';'" senti-from-csv -s ';' -r r -t t "$T/semi.txt"

expect_fail 1 "^senti-from-csv: .*good\\.csv:1: no column 'nope' in the header \\(columns: id, stars, title, body\\)\$" \
    "csv: missing column" senti-from-csv -r nope -t body "$c/good.csv"
expect_fail 1 "^senti-from-csv: .*good\\.csv:1: no column 'x' in the header" \
    "csv: missing text column" senti-from-csv -t body,x "$c/good.csv"
expect_fail 1 '^senti-from-csv: .*unterminated\.csv:3: unterminated quoted field$' \
    "csv: unterminated quote reported where the field starts" senti-from-csv -r r -t t "$c/unterminated.csv"
expect_fail 1 '^senti-from-csv: .*fields\.csv:3: record has 3 fields, the header has 2$' \
    "csv: wrong field count" senti-from-csv -r r -t t "$c/fields.csv"
expect_fail 1 "^senti-from-csv: .*rating\\.csv:3: rating '4 stars' is not a number\$" \
    "csv: bad rating" senti-from-csv -r r -t t "$c/rating.csv"
expect_fail 1 "^senti-from-csv: .*afterquote\\.csv:2: 'b' after the closing quote of a field\$" \
    "csv: text after a closing quote" senti-from-csv -r r -t t "$c/afterquote.csv"
expect_fail 1 '^senti-from-csv: .*empty\.csv:1: empty file: a header row is required$' \
    "csv: empty file" senti-from-csv -r r -t t "$c/empty.csv"
expect_fail 1 "^senti-from-csv: .*dup\\.csv:1: column 't' appears twice in the header\$" \
    "csv: ambiguous column" senti-from-csv -r r -t t "$c/dup.csv"
expect_fail 2 'no text column given' "csv: --text is required" senti-from-csv "$c/good.csv"
expect_fail 2 "--sep: 'ab' is not one character" "csv: bad --sep" senti-from-csv -s ab -t t "$c/good.csv"
expect_fail 2 "option '--text' requires an argument" "csv: --text without value" senti-from-csv --text

# ---------------------------------------------------------------- ratings
printf 'r,t\n5.0,a\n+4.50,b\n04,c\n.5,d\n10,e\n-0.0,f\n3.,g\n' >"$T/num.csv"
printf '5\ta\n4.5\tb\n4\tc\n0.5\td\n10\te\n0\tf\n3\tg\n' >"$T/num.expected"
check_out "$T/num.expected" "ratings print as plain numbers" senti-from-csv -r r -t t "$T/num.csv"
for bad in 1e1 inf nan 0x10 . - '5 5'; do
    printf 'r,t\n%s,a\n' "$bad" >"$T/bad.csv"
    expect_fail 1 "bad\\.csv:2: rating '.*' is not a number" "rating '$bad' refused" \
        senti-from-csv -r r -t t "$T/bad.csv"
done

finish
