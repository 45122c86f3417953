# tests/sh/bow.sh - senti-bow: golden sparse lines, header with dim and the
# vocabulary digest (recomputed here in shell arithmetic), counts, empty
# documents, out-of-vocabulary tokens, errors.
. "$(dirname "$0")/lib.sh"
X=$F/text

run senti-bow -v "$X/simple.voc" "$X/simple.tok"
same "$T/out" "$X/simple.bow" "binary bag of words (golden)"
run senti-bow --counts -v "$X/simple.voc" "$X/simple.tok"
same "$T/out" "$X/simple.counts.bow" "--counts (golden)"

# digest: FNV-1a 64 over each term and '\n', in rank order
fnv() { printf '%016x' "$(cut -f1 "$1" | fnv1a)"; }
d=$(fnv "$X/simple.voc")
n=$(wc -l <"$X/simple.voc")
ok "header carries dim and digest" test "$(head -n 1 "$X/simple.bow")" = "# senti sparse dim=$n vocab=$d"

ok "empty document keeps its label line" test "$(sed -n 7p "$X/simple.bow")" = "?"
printf 'movie\t1\t1\nplot\t1\t1\n' >"$T/v2"
printf '5\tzzz plot qqq movie plot\n3\tnone of these\n' | senti-bow -v "$T/v2" >"$T/oov"
printf '# senti sparse dim=2 vocab=%s\n5 1:1 2:1\n3\n' "$(fnv "$T/v2")" >"$T/oov.ref"
same "$T/oov" "$T/oov.ref" "out-of-vocabulary tokens dropped, indices sorted"
printf 'movie\nplot\n' >"$T/v3"
printf '5\tplot\n' | senti-bow -v "$T/v3" >"$T/plain"
ok "one-term-a-line vocabularies work" test "$(sed -n 2p "$T/plain")" = "5 2:1"
printf '# c\n4.5\tplot movie\r\n' | senti-bow -c -v "$T/v2" >"$T/crlf"
ok "comments skipped, CRLF, fractional rating" test "$(sed -n 2p "$T/crlf")" = "4.5 1:1 2:1"

# errors
expect_fail 2 'vocabulary is required' "no -v" senti-bow "$X/simple.tok"
printf 'a\t1\t1\nb\t1\t1\na\t1\t1\n' >"$T/dup"
expect_fail 1 'dup:3: duplicate term' "duplicate vocabulary term" senti-bow -v "$T/dup" "$X/simple.tok"
: >"$T/empty"
expect_fail 1 'empty vocabulary' "empty vocabulary" senti-bow -v "$T/empty" "$X/simple.tok"
printf '5\tgood\nbad line\n' >"$T/notab"
expect_fail 1 'notab:2: no TAB' "token line without TAB" senti-bow -v "$T/v2" "$T/notab"
printf 'x\tgood\n' >"$T/badr"
expect_fail 1 'badr:1: rating' "bad rating" senti-bow -v "$T/v2" "$T/badr"
# senti-bow formats its rows itself: the bytes must be those of the library
# writer (senti-cat rewrites every row with sparse_write_row), also with
# counts, fractional labels, '?' and large indices
awk 'BEGIN { srand(3); for (d = 0; d < 2000; d++) { printf "%s\t", (d % 7 == 0 ? "?" : (d % 5) + 0.25 * (d % 3));
       n = int(rand() * 60); for (i = 0; i < n; i++) printf "%st%d", (i ? " " : ""), int(rand() * (i % 2 ? 30000 : 50));
       printf "\n" } }' >"$T/many.tok"
senti-vocab "$T/many.tok" >"$T/many.voc"
senti-bow --counts -v "$T/many.voc" "$T/many.tok" >"$T/many.bow"
senti-cat "$T/many.bow" >"$T/many.cat"
same "$T/many.bow" "$T/many.cat" "--counts rows = sparse_write_row's bytes"
senti-bow -v "$T/many.voc" "$T/many.tok" >"$T/many.bin"
senti-cat "$T/many.bin" >"$T/many.bincat"
same "$T/many.bin" "$T/many.bincat" "binary rows = sparse_write_row's bytes"
ok "indices above 9999 occur" grep -q ' [0-9]\{5\}:' "$T/many.bin"
run senti-bow --help
ok "--help exits 0" test "$rc" -eq 0
finish
