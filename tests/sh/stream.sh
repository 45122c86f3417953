#!/usr/bin/env bash
# stream.sh - the streaming programs keep constant memory as their input
# grows: 1 GiB of generated reviews through `senti-tokenize | senti-bow`,
# the peak RSS of each stage (/usr/bin/time) under 64 MB and within 16 MB
# of its peak on 1/100 of the stream; every line comes out.  Plain pass
# only (the sanitizers' own memory would be measured too).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
if [ "${SAN:-0}" = 1 ]; then
    echo "stream: runs in the plain pass"
    finish
fi
if [ ! -x /usr/bin/time ]; then
    t_result 1 "/usr/bin/time is missing (Debian package time)"
    finish
fi

# a block of ~120 kB of reviews (ASCII mostly, some upper case, '!' and
# UTF-8), repeated by yes(1): no generator is faster
awk 'BEGIN {
    srand(3); n = 0
    split("the movie was great and plot bad acting not good at all I loved it really terrible boring fun film story actors scene ending", w, " ")
    while (1) {
        line = int(rand() * 5) + 1 "\t"; k = int(rand() * 150) + 20
        for (j = 0; j < k; j++) {
            x = int(rand() * 30000); t = (x < 25000) ? w[x % 23 + 1] : sprintf("w%d", x)
            if (x % 97 == 0) t = t "!"
            if (x % 211 == 0) t = "Caf\303\251"
            if (x % 50 == 1) t = toupper(t)
            line = line (j ? " " : "") t
        }
        n += length(line) + 1
        if (n > 120000) break
        print line
    } }' >block
senti-tokenize block | senti-vocab -k 5000 >voc
blk=$(cat block)
per=$(wc -l <block) # yes adds the newline the $(...) took away
bytes=$(wc -c <block)

pipeline() { # copies -> $T/tok.rss, $T/bow.rss (kB), $T/lines
    yes "$blk" | head -n $(($1 * per)) |
        /usr/bin/time -f %M -o tok.rss senti-tokenize |
        /usr/bin/time -f %M -o bow.rss senti-bow -v voc | wc -l >lines
}
small=$((10 * 1024 * 1024 / bytes))
big=$((1024 * 1024 * 1024 / bytes))
pipeline $small
tok_small=$(cat tok.rss) bow_small=$(cat bow.rss)
t0=$SECONDS
pipeline $big
secs=$((SECONDS - t0))
tok_big=$(cat tok.rss) bow_big=$(cat bow.rss)
echo "1 GiB in ${secs} s; peak RSS kB: senti-tokenize $tok_small (10 MiB) $tok_big (1 GiB), senti-bow $bow_small $bow_big"
ok "all $((big * per)) lines through (plus the header)" test "$(cat lines)" -eq $((big * per + 1))
ok "senti-tokenize: peak RSS $tok_big kB < 64 MB on 1 GiB" test "$tok_big" -lt 65536
ok "senti-bow: peak RSS $bow_big kB < 64 MB on 1 GiB" test "$bow_big" -lt 65536
ok "senti-tokenize: constant memory (10 MiB: $tok_small kB, 1 GiB: $tok_big kB)" test $((tok_big - tok_small)) -lt 16384
ok "senti-bow: constant memory (10 MiB: $bow_small kB, 1 GiB: $bow_big kB)" test $((bow_big - bow_small)) -lt 16384
finish
