# tests/sh/frontend.sh - the whole text front end on a fixture,
# senti-tokenize | senti-vocab | senti-bow, against an independent count made
# here with tr, sort, uniq and awk.
. "$(dirname "$0")/lib.sh"
X=$F/text
TAB=$(printf '\t')

senti-tokenize "$X/simple.tsv" >"$T/tok"
senti-vocab -k 12 "$T/tok" >"$T/voc"
senti-bow -v "$T/voc" "$T/tok" >"$T/bow"

# reference tokens: lowercase, split on anything but [a-z0-9]
cut -f2 "$X/simple.tsv" | tr 'A-Z' 'a-z' | tr -cs 'a-z0-9\n' ' ' | sed 's/^ //; s/ $//' >"$T/ref.text"
cut -f2 "$T/tok" >"$T/our.text"
same "$T/our.text" "$T/ref.text" "tokens = tr-based tokenisation"

# reference vocabulary: document frequency by sort -u over (doc, token)
awk '{ for (i = 1; i <= NF; i++) print NR " " $i }' "$T/ref.text" | sort -u | cut -d' ' -f2 |
    sort | uniq -c | awk '{ print $2 "\t" $1 }' | sort -t "$TAB" -k2,2nr -k1,1 | head -n 12 |
    cut -f1 >"$T/ref.terms"
cut -f1 "$T/voc" >"$T/our.terms"
same "$T/our.terms" "$T/ref.terms" "top-12 terms = sort | uniq -c ranking"

# reference sparse lines: rank of each distinct in-vocabulary token, sorted
awk -v V="$T/ref.terms" 'BEGIN { while ((getline t < V) > 0) rank[t] = ++n }
     FNR == NR { lab[NR] = $1; next }
     { line = lab[FNR]; delete seen; m = 0
       for (i = 1; i <= NF; i++) if (($i in rank) && !($i in seen)) { seen[$i] = 1; idx[++m] = rank[$i] }
       # insertion sort of the m indices
       for (i = 2; i <= m; i++) { x = idx[i]; for (j = i - 1; j > 0 && idx[j] > x; j--) idx[j + 1] = idx[j]; idx[j + 1] = x }
       for (i = 1; i <= m; i++) line = line " " idx[i] ":1"
       print line }' <(cut -f1 "$X/simple.tsv") "$T/ref.text" >"$T/ref.rows"
grep -v '^#' "$T/bow" >"$T/our.rows"
same "$T/our.rows" "$T/ref.rows" "sparse rows = awk reference"
ok "header dim 12" grep -q '^# senti sparse dim=12 vocab=[0-9a-f]\{16\}$' "$T/bow"

# the same through pipes, with shards merged
senti-tokenize "$X/simple.tsv" | head -n 4 | senti-vocab >"$T/s1"
senti-tokenize "$X/simple.tsv" | tail -n +5 | senti-vocab >"$T/s2"
senti-vocab --merge -k 12 "$T/s1" "$T/s2" >"$T/voc2"
same "$T/voc2" "$T/voc" "sharded counting merges to the same vocabulary"
senti-vocab --merge -k 12 "$T/s1" "$T/s2" | senti-bow -v - "$T/tok" >"$T/bow2"
same "$T/bow2" "$T/bow" "vocabulary read from a pipe"
finish
