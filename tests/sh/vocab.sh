# tests/sh/vocab.sh - senti-vocab: counts against sort/uniq, ordering, -k,
# --min-df, spilling to disk (many runs, multi-pass merge) and --merge of
# shards, all giving the one-pass result; errors.
. "$(dirname "$0")/lib.sh"
X=$F/text

run senti-vocab "$X/simple.tok"
same "$T/out" "$X/simple.voc" "vocabulary of simple.tok (golden)"

# independent count: df from unique (line, token) pairs, cf from all tokens
# (tokens on line 1 are numbered by awk, then sort -u / uniq -c do the work)
tokens_by_doc() { grep -v '^#' "$1" | cut -f2 | awk '{ for (i = 1; i <= NF; i++) print NR "\t" $i }'; }
ref_vocab() { # file -> term df cf, sorted by df desc then term
    tokens_by_doc "$1" | sort -u | cut -f2 | sort | uniq -c | awk '{ print $2 "\t" $1 }' >"$T/df"
    tokens_by_doc "$1" | cut -f2 | sort | uniq -c | awk '{ print $2 "\t" $1 }' >"$T/cf"
    join -t "$(printf '\t')" "$T/df" "$T/cf" | sort -t "$(printf '\t')" -k2,2nr -k1,1
}
ref_vocab "$X/simple.tok" >"$T/ref"
same "$X/simple.voc" "$T/ref" "counts agree with sort | uniq -c"

# a bigger corpus made here: 3000 documents over a skewed vocabulary
awk 'BEGIN { srand(11); for (d = 0; d < 3000; d++) { printf "%d\t", d % 5 + 1;
       n = int(rand() * 40); for (i = 0; i < n; i++) printf "%sw%d", (i ? " " : ""), int(rand() * rand() * 3000);
       printf "\n" } }' >"$T/big.tok"
senti-vocab "$T/big.tok" >"$T/big.voc"
ref_vocab "$T/big.tok" >"$T/big.ref"
same "$T/big.voc" "$T/big.ref" "3000 documents: counts agree with sort | uniq -c"
senti-vocab -k 100 "$T/big.tok" >"$T/k100"
head -n 100 "$T/big.ref" >"$T/k100.ref"
same "$T/k100" "$T/k100.ref" "-k 100 keeps the first 100"
# -k selects by df before sorting: the cut must fall among tied terms exactly
# as the full sort does, for any k and with --min-df
bad=0
for k in 1 2 7 99 250 777 1500 2999 100000; do
    senti-vocab -k $k "$T/big.tok" | cmp -s - <(head -n $k "$T/big.ref") || bad=$((bad + 1))
    senti-vocab --min-df 3 -k $k "$T/big.tok" |
        cmp -s - <(awk -F'\t' '$2 >= 3' "$T/big.ref" | head -n $k) || bad=$((bad + 1))
done
ok "-k K (with and without --min-df) = the first K of the full order" test $bad -eq 0
senti-vocab --min-df 20 "$T/big.tok" >"$T/md"
awk -F'\t' '$2 >= 20' "$T/big.ref" >"$T/md.ref"
same "$T/md" "$T/md.ref" "--min-df 20"

# bounded memory: tiny limits force spills; the result must not change
senti-vocab --memory 16K "$T/big.tok" >"$T/spill"
same "$T/spill" "$T/big.voc" "--memory 16K (spilled runs) = in memory"
senti-vocab --memory 1K -k 50 "$T/big.tok" >"$T/spill50"
head -n 50 "$T/big.voc" >"$T/big50"
same "$T/spill50" "$T/big50" "--memory 1K -k 50 (multi-pass merge)"
senti-vocab --memory 2K --min-df 3 "$T/big.tok" >"$T/spillmd"
awk -F'\t' '$2 >= 3' "$T/big.ref" >"$T/md3.ref"
same "$T/spillmd" "$T/md3.ref" "--memory 2K --min-df 3"
expect_fail 2 'memory' "bad --memory" senti-vocab --memory 12Q "$T/big.tok"

# shards counted apart and merged = one pass
split -l 700 "$T/big.tok" "$T/shard."
for s in "$T"/shard.*; do senti-vocab "$s" >"$s.voc"; done
senti-vocab --merge "$T"/shard.*.voc >"$T/merged"
same "$T/merged" "$T/big.voc" "--merge of 5 shards = one pass"
senti-vocab --merge -k 100 --memory 1K "$T"/shard.*.voc >"$T/merged100"
same "$T/merged100" "$T/k100" "--merge -k 100 under --memory 1K"
cat "$T/big.tok" | senti-vocab -k 100 - >"$T/stdin"
same "$T/stdin" "$T/k100" "reads standard input"

# errors
printf '5\tgood\nnothing\n' >"$T/notab"
expect_fail 1 'notab:2: no TAB' "token line without TAB" senti-vocab "$T/notab"
printf 'good\t3\t4\nbad\tx\t1\n' >"$T/badvoc"
expect_fail 1 'badvoc:2: df is not' "--merge: bad df" senti-vocab --merge "$T/badvoc"
printf 'good\t3\t2\n' >"$T/badcf"
expect_fail 1 'badcf:1: cf is smaller' "--merge: cf < df" senti-vocab --merge "$T/badcf"
expect_fail 2 'top' "-k -1" senti-vocab -k -1 "$T/big.tok"
run senti-vocab --help
ok "--help shows defaults" grep -q 'temporary file \[1G\]' "$T/out"
# raw text where tokens were expected: a note that names the skipped step, once
printf '5\tHorrible product, never again\n1\tAwful\n' >"$T/raw.tsv"
run senti-vocab "$T/raw.tsv"
ok "raw text: exit 0 (a note, not an error)" test "$rc" -eq 0
ok "raw text: one note naming senti-tokenize" bash -c "test \$(wc -l <'$T/err') -eq 1 && grep -q \"raw.tsv:1: token 'Horrible' has upper-case letters: untokenized text? (run senti-tokenize first\" '$T/err'"
senti-tokenize "$T/raw.tsv" | senti-vocab >/dev/null 2>"$T/err2"
ok "tokenized: no note" test ! -s "$T/err2"
finish
