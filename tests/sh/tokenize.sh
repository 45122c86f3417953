# tests/sh/tokenize.sh - senti-tokenize: golden outputs on fixtures with
# accents, ligatures, CJK, emoji, invalid UTF-8, CRLF, HTML, empty text;
# errors; a 10 MB line; the ASCII fast path against PCRE2.
. "$(dirname "$0")/lib.sh"
X=$F/text

run senti-tokenize -q "$X/reviews.tsv"
same "$T/out" "$X/reviews.tok" "default tokens (golden)"
ok "exit 0 with invalid UTF-8 replaced" test "$rc" -eq 0
run senti-tokenize "$X/reviews.tsv"
ok "note counts the 8 replaced sequences" grep -q "8 invalid UTF-8 sequences replaced" "$T/err"
run senti-tokenize -q -P -n -H "$X/reviews.tsv"
same "$T/out" "$X/reviews.pnh.tok" "--punct --negate --html (golden)"
run senti-tokenize -s english -g 2 -S "$X/stop.txt" -m 2 "$X/simple.tsv"
same "$T/out" "$X/simple.opts.tok" "--stem english --ngrams 2 --stopwords --min-len 2 (golden)"
senti-tokenize -q --pcre-only "$X/reviews.tsv" >"$T/pcre"
same "$T/pcre" "$X/reviews.tok" "--pcre-only gives the same tokens"
senti-tokenize -q - <"$X/reviews.tsv" >"$T/stdin"
same "$T/stdin" "$X/reviews.tok" "reads standard input"

# specific expectations, independent of the golden files
line() { sed -n "$1p" "$X/reviews.tok"; }
ok "ligature and fullwidth folded" grep -q "fine flow fullwidth strasse strasse" "$X/reviews.tok"
ok "curly apostrophe lumped" grep -q "don't like" "$X/reviews.tok"
ok "CRLF stripped" test "$(line 7)" = "$(printf '3\twindows line ending')"
ok "empty text keeps its label" test "$(line 8)" = "$(printf '?\t')"
ok "comment line passes through" test "$(line 9)" = "# a comment line passes through"
ok "combining mark composed" grep -q "combining é and" "$X/reviews.tok"
ok "negation marks up to punctuation" grep -q "not NOT_good i don't NOT_like NOT_it never NOT_again" "$X/reviews.pnh.tok"
ok "emoji and emoticons with --punct" grep -q "emoji 😀 👍 fun ❤ <3 :-( ;) :d" "$X/reviews.pnh.tok"
ok "html entities decoded" grep -q "été é ☺ tag bogus" "$X/reviews.pnh.tok"
printf '3\tthe runners were running quickly\n' | senti-tokenize -s english >"$T/stem"
ok "english stemming" grep -q "the runner were run quick" "$T/stem"
printf '3\tab abc abcd\n' | senti-tokenize --pattern '\b\w\w\w+\b' >"$T/pat"
ok "--pattern replaces the default" test "$(cat "$T/pat")" = "$(printf '3\tabc abcd')"
printf '3\tone two three\n' | senti-tokenize -g 3 >"$T/ng"
ok "n-grams" test "$(cat "$T/ng")" = "$(printf '3\tone two three one_two two_three one_two_three')"
printf '3\ta b\n' | senti-tokenize --pattern 'a b' >"$T/sp"
ok "blanks inside a token become _" test "$(cat "$T/sp")" = "$(printf '3\ta_b')"

# errors
expect_fail 1 'reviews.tsv:6: invalid UTF-8 at byte 14' "--strict stops at the bad line" \
    senti-tokenize --strict "$X/reviews.tsv"
printf '5\tgood\nno tab here\n' >"$T/notab"
expect_fail 1 'notab:2: no TAB' "line without TAB" senti-tokenize "$T/notab"
printf 'five\tgood\n' >"$T/badrating"
expect_fail 1 'badrating:1: rating .five.' "rating neither number nor ?" senti-tokenize "$T/badrating"
expect_fail 2 'bad pattern' "bad --pattern" senti-tokenize --pattern '(' "$X/simple.tsv"
expect_fail 2 'unknown stemmer language' "unknown --stem" senti-tokenize --stem klingon "$X/simple.tsv"
expect_fail 2 'ngrams' "--ngrams 0" senti-tokenize --ngrams 0 "$X/simple.tsv"
expect_fail 1 'nosuch' "missing file" senti-tokenize "$T/nosuch"
run senti-tokenize --stem list
ok "--stem list names english" grep -qx english "$T/out"
run senti-tokenize --help
ok "--help exits 0" test "$rc" -eq 0
ok "--help shows defaults" grep -q 'ngrams=N .*\[1\]' "$T/out"

# a 10 MB line: 1,000,000 words of 9 bytes plus spaces
awk 'BEGIN { printf "4\t"; for (i = 0; i < 1000000; i++) printf "Word%05d ", i % 50000; printf "\n" }' >"$T/big"
ok "10 MB fixture line" test "$(wc -c <"$T/big")" -gt 10000000
senti-tokenize "$T/big" >"$T/big.tok"
ok "10 MB line: a million tokens" test "$(cut -f2 "$T/big.tok" | wc -w)" -eq 1000000
ok "10 MB line: lowercased" test "$(cut -f2 "$T/big.tok" | cut -d' ' -f2)" = word00001

# ASCII fast path = PCRE2 on random ASCII text full of edge cases
awk 'BEGIN { srand(7); split("a b Z 0 9 1 . , '"'"' - ! ? : ) ( _ / x y", c, " ");
             for (l = 0; l < 400; l++) { printf "3\t"; for (i = 0; i < 80; i++) printf "%s", (rand() < 0.15 ? " " : c[int(rand() * 20) + 1]); printf "\n" } }' >"$T/rand"
senti-tokenize "$T/rand" >"$T/fast"
senti-tokenize --pcre-only "$T/rand" >"$T/slow"
same "$T/fast" "$T/slow" "fast path = PCRE2 on random ASCII"

# bounded expansion: folding that multiplies the text, n-grams beyond the longest line
awk 'BEGIN { printf "5\t"; for (i = 0; i < 7000; i++) printf "\357\267\272"; printf "\n" }' >"$T/fdfa"
expect_fail 1 "^senti-tokenize: $T/fdfa:1: the text expands to 126000 characters under Unicode folding, more than its 21000 bytes plus 4096 \\(the limit; --no-fold reads it unfolded\\)\$" \
    "7000 x U+FDFA (18 characters each under NFKC): refused with its line" senti-tokenize "$T/fdfa"
ok "--no-fold reads it" senti-tokenize --no-fold "$T/fdfa"
awk 'BEGIN { printf "5\t"; for (i = 0; i < 230; i++) printf "\357\267\272"; printf "\n" }' >"$T/fdfa2"
ok "230 x U+FDFA (within the slack) folds" bash -c "senti-tokenize '$T/fdfa2' | grep -q ." 
awk 'BEGIN { srand(5); printf "3\t"; for (i = 0; i < 450000; i++) printf "w%d ", int(rand() * 1000); printf "\n" }' >"$T/wide"
expect_fail 1 "^senti-tokenize: $T/wide:1: the tokens of this line exceed 268435456 bytes, the longest line senti reads" \
    "-g 16 on a 2.2 MB line: refused before the output passes 256 MiB" senti-tokenize -g 16 "$T/wide"

# a UTF-8 byte-order mark: skipped at the start of a file, shown as bytes elsewhere
printf '\xef\xbb\xbf5\tGood thing\n1\tbad\n' >"$T/bom"
printf '5\tGood thing\n1\tbad\n' >"$T/nobom"
senti-tokenize "$T/bom" >"$T/bom.tok"
senti-tokenize "$T/nobom" >"$T/nobom.tok"
same "$T/bom.tok" "$T/nobom.tok" "a byte-order mark at the start is skipped"
printf '5\tgood\n\xef\xbb\xbf1\tbad\n' >"$T/bom2"
expect_fail 1 "^senti-tokenize: $T/bom2:2: rating '\\\\xef\\\\xbb\\\\xbf1' is neither a number nor '\\?'\$" \
    "a byte-order mark inside the file: refused, shown as \\xNN" senti-tokenize "$T/bom2"
senti-vocab "$T/bom.tok" >"$T/bom.voc" && senti-vocab "$T/nobom.tok" >"$T/nobom.voc"
same "$T/bom.voc" "$T/nobom.voc" "senti-vocab skips it too"
# stop words: NUL refused, a byte-order mark skipped
printf 'a\0b\nthing\n' >"$T/swnul"
expect_fail 1 "^senti-tokenize: $T/swnul:1: NUL byte in a stop word\$" "a stop-word file with a NUL byte" \
    senti-tokenize -S "$T/swnul" "$T/nobom"
printf '\xef\xbb\xbfthing\n' >"$T/swbom"
senti-tokenize -S "$T/swbom" "$T/nobom" >"$T/sw.tok"
ok "a stop-word file's byte-order mark is skipped ('thing' dropped)" grep -qx $'5\tgood' "$T/sw.tok"
finish
