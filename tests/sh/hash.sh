#!/usr/bin/env bash
# hash.sh - semantic hashing: senti-encode --bits (header tied to the
# model, codes = activations above 0.5, stack models, the same codes for
# the same seed) and senti-search (a hand-checked answer, an independent
# brute-force reference in awk, scan (several queries per pass or one) =
# multi-index hashing on random codes
# of odd lengths and on a real small corpus, streaming, refused files).
. "$(dirname "$0")/lib.sh"
D=$F/dae
H=$F/hash

# --- senti-encode --bits -------------------------------------------------
senti-pretrain -q -H 16 -a sigmoid --code-noise 4 -E 5 -l 0.05 --seed 3 -o "$T/l1" "$D/train.txt"
senti-encode --bits -m "$T/l1" "$D/train.txt" >"$T/idx"
ok "--bits exits 0" test $? -eq 0
ok "header: bits = hidden units, model = the layer's digest" \
    grep -Eq "^# senti codes bits=16 model=$(senti-encode -m "$T/l1" </dev/null | sed -n 's/.*vocab=//p')\$" "$T/idx"
ok "one code per input row" test "$(grep -vc '^#' "$T/idx")" -eq "$(grep -vc '^#' "$D/train.txt")"
ok "lines are label TAB 4 hex digits" awk -F'\t' '!/^#/ && !($2 ~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/ && $1 != "") {exit 1}' "$T/idx"
senti-encode --bits -m "$T/l1" "$D/valid.txt" >"$T/q"
ok "comments pass through after a tab" grep -Eq $'\ta comment$' "$T/q"
# the codes are the sparse activations above 0.5, unit 1 the top bit of digit 1
senti-encode -m "$T/l1" "$D/valid.txt" | awk '!/^#/ {
    split("", b); sub(/ #.*/, "")
    for (i = 2; i <= NF; i++) { split($i, a, ":"); if (a[2] + 0 > 0.5) b[a[1]] = 1 }
    s = ""; for (d = 0; d < 4; d++) { v = 0; for (k = 1; k <= 4; k++) v = 2 * v + (4 * d + k in b); s = s sprintf("%x", v) }
    print s }' >"$T/ref.bits"
grep -v '^#' "$T/q" | cut -f2 >"$T/got.bits"
same "$T/ref.bits" "$T/got.bits" "codes are the activations > 0.5 of the sparse output"
ok "codes are not all alike" test "$(sort -u "$T/got.bits" | wc -l)" -gt 5
senti-pretrain -q -H 16 -a sigmoid --code-noise 4 -E 5 -l 0.05 --seed 3 -o "$T/l1b" "$D/train.txt"
senti-encode --bits -m "$T/l1b" "$D/train.txt" >"$T/idx.b"
same "$T/idx" "$T/idx.b" "the same seed gives the same codes"
senti-pretrain -q -H 16 -a sigmoid --code-noise 4 -E 5 -l 0.05 --seed 4 -o "$T/l1c" "$D/train.txt"
senti-encode --bits -m "$T/l1c" "$D/train.txt" >"$T/idx.c"
ok "another seed gives other codes" sh -c "! cmp -s '$T/idx' '$T/idx.c'"
senti-encode -t 2 --bits -m "$T/l1" "$D/train.txt" >"$T/idx.t2"
same "$T/idx" "$T/idx.t2" "2 threads give the same codes"
# a stack: codes of its top layer, header naming the stack model
senti-pretrain -q -H 20 -E 3 -o "$T/a" "$D/train.txt"
senti-encode -m "$T/a" "$D/train.txt" | senti-pretrain -q -H 13 -a sigmoid --code-noise 4 -E 3 -o "$T/b"
senti-pretrain -q --stack "$T/a,$T/b" -E 2 -o "$T/st" "$D/train.txt"
senti-encode --bits -m "$T/st" "$D/valid.txt" >"$T/st.codes"
ok "stack model: 13-bit codes (4 hex digits, last padding bits zero)" \
    awk -F'\t' 'NR == 1 && !/^# senti codes bits=13 model=/ {exit 1} NR > 1 && $2 !~ /^[0-9a-f][0-9a-f][0-9a-f][08]$/ {exit 1}' "$T/st.codes"
ok "stack model: one code per row" test "$(grep -vc '^#' "$T/st.codes")" -eq 40

# balanced bits: thresholds at each unit's median over the index, kept in
# its header; the queries take them from it
senti-encode --bits --balance -m "$T/l1" "$D/train.txt" >"$T/bidx"
ok "--balance: header with thresh= and the thresholds line" \
    awk 'NR == 1 && !(/^# senti codes bits=16 model=[0-9a-f]+ thresh=[0-9a-f]+$/ && length($NF) == 23) {exit 1}
         NR == 2 && !(/^# senti thresholds / && NF == 19) {exit 1}' "$T/bidx"
# the medians, independently: each unit's (n-1)/2-th smallest activation
senti-encode -m "$T/l1" "$D/train.txt" | awk -v f="$T/col" '!/^#/ { n++; for (j = 1; j <= 16; j++) a[j, n] = 0
        sub(/ #.*/, ""); for (i = 2; i <= NF; i++) { split($i, p, ":"); a[p[1], n] = p[2] } }
    END { for (j = 1; j <= 16; j++) {
            for (r = 1; r <= n; r++) print a[j, r] >f
            close(f)
            m = int((n - 1) / 2) + 1; k = 0
            while ((("sort -g " f) | getline v) > 0) if (++k == m) med = v
            close("sort -g " f); printf "%s%s", (j > 1 ? " " : ""), med }
          print "" }' >"$T/med.ref"
sed -n '2s/^# senti thresholds //p' "$T/bidx" >"$T/med.got"
# (the sparse output prints the shortest text of each float, the header %.9g: the same floats)
ok "--balance: the thresholds are the medians of the activations" awk -v a="$(cat "$T/med.ref")" -v b="$(cat "$T/med.got")" \
    'BEGIN { n = split(a, x, " "); if (n != 16 || split(b, y, " ") != n) exit 1
             for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-7 * (x[i] < 0 ? -x[i] : x[i]) + 1e-30) exit 1 } }'
ok "--balance: every bit on for at most half the rows" awk -F'\t' '!/^#/ { n++
        for (d = 0; d < 4; d++) { v = index("0123456789abcdef", substr($2, d + 1, 1)) - 1
            for (k = 0; k < 4; k++) if (int(v / 2 ^ (3 - k)) % 2) on[4 * d + k]++ } }
    END { for (j = 0; j < 16; j++) if (on[j] > n / 2) exit 1 }' "$T/bidx"
senti-encode --bits --thresholds "$T/bidx" -m "$T/l1" "$D/valid.txt" >"$T/bq"
ok "--thresholds: the index's header" test "$(head -2 "$T/bq")" = "$(head -2 "$T/bidx")"
senti-encode -m "$T/l1" "$D/valid.txt" | awk -v th="$(cat "$T/med.got")" 'BEGIN { split(th, t, " ") }
    !/^#/ { split("", b); sub(/ #.*/, "")
    for (i = 2; i <= NF; i++) { split($i, a, ":"); if (a[2] + 0 > t[a[1]] + 0) b[a[1]] = 1 }
    for (j = 1; j <= 16; j++) if (!(j in b) && 0 > t[j] + 0) b[j] = 1
    s = ""; for (d = 0; d < 4; d++) { v = 0; for (k = 1; k <= 4; k++) v = 2 * v + (4 * d + k in b); s = s sprintf("%x", v) }
    print s }' >"$T/bq.ref"
grep -v '^#' "$T/bq" | cut -f2 >"$T/bq.got"
same "$T/bq.ref" "$T/bq.got" "--thresholds: bit j is activation j above threshold j"
senti-search -q -k 3 -i "$T/bidx" "$T/bq" >"$T/bq.nn"
ok "search of balanced codes" test "$(wc -l <"$T/bq.nn")" -eq 120
expect_fail 1 "q:1: codes without thresholds, the index's have thresh=" "plain queries against a balanced index" \
    senti-search -i "$T/bidx" "$T/q"
expect_fail 1 "bq:1: codes with thresh=[0-9a-f]*, the index's have none" "balanced queries against a plain index" \
    senti-search -i "$T/idx" "$T/bq"
expect_fail 1 "idx: no thresholds in the header" "--thresholds from codes without them" \
    senti-encode --bits --thresholds "$T/idx" -m "$T/l1" "$D/valid.txt"
expect_fail 1 "bidx:1: model digest" "--thresholds of another model's codes" \
    senti-encode --bits --thresholds "$T/bidx" -m "$T/l1c" "$D/valid.txt"
expect_fail 2 "go with --bits" "--balance without --bits" senti-encode --balance -m "$T/l1" "$D/valid.txt"
senti-encode --bits --balance -m "$T/l1" "$D/train.txt" >"$T/bidx2"
same "$T/bidx" "$T/bidx2" "--balance: the same codes again"

# --- senti-search --------------------------------------------------------
run senti-search --help
ok "--help exits 0 and shows -k's default" sh -c "test $rc -eq 0 && grep -q -- '-k, --neighbours N' '$T/out' && grep -q '^ *\[10\]' '$T/out'"
expect_fail 2 'no index' "missing -i" senti-search "$H/queries.codes"
expect_fail 2 'method' "bad --method" senti-search --method fast -i "$H/index.codes" "$H/queries.codes"
for m in scan mih; do
    senti-search -q -k 3 --method $m -i "$H/index.codes" "$H/queries.codes" >"$T/k3.$m"
    same "$H/expect.k3" "$T/k3.$m" "hand-checked 3 nearest, ties by row ($m)"
done
senti-search -q -k 9 -i "$H/index.codes" "$H/queries.codes" >"$T/k9"
ok "k above the index size: every row once per query" test "$(wc -l <"$T/k9")" -eq 10

# random codes of odd lengths: scan = mih = an awk brute force
gen() { # bits rows seed
    awk -v B=$1 -v N=$2 -v S=$3 'BEGIN { srand(S); printf "# senti codes bits=%d model=00000000000000bb\n", B
        nd = int((B + 3) / 4)
        for (c = 0; c < 8; c++) for (j = 0; j < B; j++) cen[c, j] = rand() < 0.5
        for (r = 0; r < N; r++) { c = int(rand() * 8); s = ""
            for (d = 0; d < nd; d++) { v = 0
                for (k = 0; k < 4; k++) { j = 4 * d + k; x = 0
                    if (j < B) { x = cen[c, j]; if (rand() < 0.1) x = 1 - x }
                    v = 2 * v + x }
                s = s sprintf("%x", v) }
            printf "%d\t%s\n", r % 5 + 1, s } }'
}
brute() { # index queries k: the reference, bit by bit
    awk -F'\t' -v K=$3 'function bin(h,  i, s) { s = ""; for (i = 1; i <= length(h); i++) s = s B[substr(h, i, 1)]; return s }
        BEGIN { split("0000 0001 0010 0011 0100 0101 0110 0111 1000 1001 1010 1011 1100 1101 1110 1111", t, " ")
            for (i = 0; i < 16; i++) B[sprintf("%x", i)] = t[i + 1] }
        /^#/ { next }
        FNR == NR { n++; code[n] = bin($2); lab[n] = $1; next }
        { q++; c = bin($2); L = length(c)
          for (r = 1; r <= n; r++) { d = 0; for (i = 1; i <= L; i++) d += substr(c, i, 1) != substr(code[r], i, 1)
              printf "%d\t%d\t%d\t%s\n", q, r, d, lab[r] } }' "$1" "$2" |
        sort -t$'\t' -k1,1n -k3,3n -k2,2n | awk -F'\t' -v K=$3 '$1 != p { p = $1; c = 0 } ++c <= K'
}
for B in 37 64 101; do
    gen $B 400 $B >"$T/r.idx"
    gen $B 25 $((B + 1)) >"$T/r.q"
    brute "$T/r.idx" "$T/r.q" 7 >"$T/r.ref"
    senti-search -q -k 7 --method scan -i "$T/r.idx" "$T/r.q" >"$T/r.scan"
    same "$T/r.ref" "$T/r.scan" "B=$B: scan = brute force"
    for b in 1 3; do
        senti-search -q -k 7 --method scan -b $b -i "$T/r.idx" "$T/r.q" >"$T/r.b"
        same "$T/r.scan" "$T/r.b" "B=$B: scan with -b $b queries per pass = -b 8"
    done
    # a pass of queries from two files: numbered across them
    head -11 "$T/r.q" >"$T/r.q1"
    { head -1 "$T/r.q"; tail -n +12 "$T/r.q"; } >"$T/r.q2"
    senti-search -q -k 7 -i "$T/r.idx" "$T/r.q1" "$T/r.q2" >"$T/r.two"
    same "$T/r.scan" "$T/r.two" "B=$B: queries split over two files, passes across them"
    for m in 1 3 0; do
        senti-search -q -k 7 --method mih -m $m -i "$T/r.idx" "$T/r.q" >"$T/r.mih"
        same "$T/r.scan" "$T/r.mih" "B=$B: mih with -m $m = scan"
    done
done
# a real small corpus: the codes of the layer above
for k in 1 10 100; do
    senti-search -q -k $k --method scan -i "$T/idx" "$T/q" >"$T/c.scan"
    senti-search -q -k $k --method mih -i "$T/idx" "$T/q" >"$T/c.mih"
    same "$T/c.scan" "$T/c.mih" "corpus codes, k=$k: mih = scan"
done
ok "corpus codes: k=100 gives 100 rows per query" test "$(wc -l <"$T/c.scan")" -eq 4000
grep -v '^#' "$T/q" | senti-search -q -k 10 -i "$T/idx" "$T/q" >/dev/null
senti-search -q -k 10 -i "$T/idx" <"$T/q" >"$T/c.stdin"
senti-search -q -k 10 -i "$T/idx" "$T/q" >"$T/c.file"
same "$T/c.file" "$T/c.stdin" "queries from stdin"

# streaming: the answer to the first query comes before the second is sent
mkfifo "$T/fifo"
{ sed -n 1,2p "$H/queries.codes"; sleep 3; sed -n 3p "$H/queries.codes"; } | \
    senti-search -q --line-buffered -k 1 -i "$H/index.codes" >"$T/fifo" &
pid=$!
exec 3<"$T/fifo"
start=$(date +%s)
IFS= read -r -t 2 first <&3
ok "streaming: first answer at once" test "$first" = $'1\t3\t1\t3' -a $(($(date +%s) - start)) -lt 2
IFS= read -r -t 10 second <&3
ok "streaming: second answer after its query" test "$second" = $'2\t2\t1\t2'
exec 3<&-
wait $pid

# refused code files, with file:line
printf '1\tfc\n' >"$T/nohead"
expect_fail 1 'nohead:1: no .# senti codes' "no header" senti-search -i "$T/nohead" "$H/queries.codes"
printf '# senti codes bits=8 model=00000000000000aa\n1\tfc\n' >"$T/bits8"
expect_fail 1 'bits8:1: codes of 8 bits, the index has 6' "query bits differ from the index's" \
    senti-search -i "$H/index.codes" "$T/bits8"
printf '# senti codes bits=6 model=00000000000000ab\n1\tfc\n' >"$T/other"
expect_fail 1 "other:1: model digest 00000000000000ab differs from the index's 00000000000000aa" \
    "model digest differs from the index's" senti-search -i "$H/index.codes" "$T/other"
printf '# senti codes bits=6 model=00000000000000aa\n1\tfc\n2\tfz\n' >"$T/badhex"
expect_fail 1 "badhex:3: bad hex digit 'z'" "bad hex digit" senti-search -i "$H/index.codes" "$T/badhex"
printf '# senti codes bits=6 model=00000000000000aa\n1\tfc\n2\tfd\n' >"$T/pad"
expect_fail 1 'pad:3: padding bits' "padding bits set" senti-search -i "$T/pad" "$H/queries.codes"
printf '# senti codes bits=6 model=00000000000000aa\n1\tfcc\n' >"$T/long"
expect_fail 1 'long:2: code has 3 hex digits, bits=6 needs 2' "code too long" senti-search -i "$T/long" "$H/queries.codes"
printf '# senti codes bits=6 model=00000000000000aa\n1 fc\n' >"$T/notab"
expect_fail 1 'notab:2: no tab' "no tab after the label" senti-search -i "$T/notab" "$H/queries.codes"
printf '# senti codes bits=0 model=00000000000000aa\n' >"$T/zero"
expect_fail 1 'zero:1: bad header field .bits=0' "bits=0" senti-search -i "$T/zero" "$H/queries.codes"
printf '# senti codes bits=6\n' >"$T/nomodel"
expect_fail 1 'nomodel:1: codes header without model=' "no model=" senti-search -i "$T/nomodel" "$H/queries.codes"
{ cat "$H/queries.codes"; printf '# senti codes bits=6 model=00000000000000cc\n1\t00\n'; } >"$T/mixed"
expect_fail 1 'mixed:4: header .* disagrees' "a second header with another model" \
    senti-search -i "$H/index.codes" "$T/mixed"
ok "answers before a bad line are written" test "$(grep -c . "$T/out")" -eq 10
: >"$T/empty"
expect_fail 1 'empty index' "empty index" senti-search -i "$T/empty" "$H/queries.codes"
expect_fail 1 "index.codes: bad magic" "encode --bits refuses a codes file as model" senti-encode --bits -m "$H/index.codes" "$D/valid.txt"
finish
