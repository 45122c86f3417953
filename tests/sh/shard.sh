#!/usr/bin/env bash
# shard.sh - pipelines/shard, the sharded front end: for N in {1, 2, 7}
# shards the merged vocabulary and the concatenated bags of words are byte
# for byte those of one pass (senti-tokenize | senti-vocab -k | senti-bow),
# also with tokenizer and bow options, several input files, --sshlogin ':'
# and more shards than lines; a bad line (or a failure after the
# tokenizer) is reported with its place in the
# input file, as one pass reports it; a run resumes, refuses other
# settings, and leaves no temporary file when interrupted.
. "$(dirname "$0")/lib.sh"
S=$SENTI_TESTS/../pipelines/shard

if ! command -v parallel >/dev/null; then
    echo "shard: GNU parallel not found (Debian parallel): skipped"
    echo "skipped: 0 passed, 0 failed"
    exit 0
fi

# a corpus with what the text stages care about: comment lines, '?'
# labels, empty texts, CRLF, non-ASCII letters, invalid UTF-8, a last line
# without its newline
awk 'BEGIN {
    srand(7)
    for (w = 0; w < 400; w++) {
        s = ""; n = 2 + int(rand() * 6)
        for (c = 0; c < n; c++) s = s sprintf("%c", 97 + int(rand() * 26))
        word[w] = s
    }
    word[400] = "caf\303\251"; word[401] = "na\303\257ve"; word[402] = "don\342\200\231t"
    for (i = 1; i <= 1500; i++) {
        if (i % 97 == 0) { print "# a comment line " i; continue }
        r = (i % 13 == 0) ? "?" : 1 + int(rand() * 5)
        n = (i % 41 == 0) ? 0 : 1 + int(rand() * 30)
        t = ""
        for (j = 0; j < n; j++) {
            x = rand(); w = int(x * x * x * 403)
            t = t (j ? " " : "") word[w] (rand() < 0.05 ? "!" : "")
        }
        if (i % 211 == 0) t = t " bad\377byte"
        printf "%s\t%s%s\n", r, t, (i % 53 == 0) ? "\r" : ""
    }
    printf "5\tthe last line has no newline"
}' >"$T/in.tsv"
head -n 700 "$T/in.tsv" >"$T/a.tsv"
tail -n +701 "$T/in.tsv" >"$T/b.tsv"

# one pass: ONE/{vocab,svm,err} from FILE... with tokenizer options TOK,
# vocabulary options VOC and bow options BOW
one_pass() { # dir 'tok opts' 'vocab opts' 'bow opts' file...
    local d=$1 t=$2 v=$3 b=$4; shift 4
    mkdir -p "$d"
    # shellcheck disable=SC2086
    senti-tokenize $t "$@" >"$d/tok" 2>"$d/err"
    # shellcheck disable=SC2086
    senti-vocab -q $v "$d/tok" >"$d/vocab"
    # shellcheck disable=SC2086
    senti-bow -q $b -v "$d/vocab" "$d/tok" >"$d/svm"
}
# the shards' bags of words as one file: the first header only
joined() { awk 'FNR == 1 && NR > 1 && /^# senti sparse/ { next } { print }' "$1"/*.svm; }

one_pass "$T/one" "" "-k 5000" "" "$T/in.tsv"
ok "the corpus has invalid UTF-8 (one pass notes it)" grep -q 'invalid UTF-8' "$T/one/err"
for n in 1 2 7; do
    run "$S" -q -n "$n" -o "$T/s$n" "$T/in.tsv"
    ok "N=$n: exit 0" test "$rc" -eq 0
    same "$T/one/vocab" "$T/s$n/vocab" "N=$n: merged vocabulary = one pass"
    joined "$T/s$n" >"$T/s$n.svm"
    same "$T/one/svm" "$T/s$n.svm" "N=$n: concatenated bags of words = one pass"
    ok "N=$n: $n shard files" test "$(ls "$T/s$n"/*.svm | wc -l)" -eq "$n"
    same "$T/one/err" "$T/err" "N=$n: the invalid UTF-8 note summed into one pass's line"
    ok "N=$n: no other or temporary files left" test -z "$(ls "$T/s$n" | grep -v -E '^([0-9]{4}\.(svm|voc)|vocab|settings)$')"
done
ok "N=7: every shard has its header (each file reads alone)" \
    test "$(grep -c '^# senti sparse' "$T"/s7/*.svm | grep -c ':1$')" -eq 7

# options reach every stage; two input files (shards per file); -S ':' runs
# the jobs through GNU parallel's --sshlogin
one_pass "$T/opt" "--negate -g 2" "-k 0 -d 2" "--counts" "$T/a.tsv" "$T/b.tsv"
run "$S" -q -n 2 -S : -t "--negate -g 2" -k 0 -d 2 -b --counts -o "$T/opt.s" "$T/a.tsv" "$T/b.tsv"
ok "options, 2 files x 2 shards, -S : : exit 0" test "$rc" -eq 0
same "$T/opt/vocab" "$T/opt.s/vocab" "options: merged vocabulary = one pass"
joined "$T/opt.s" >"$T/opt.svm"
same "$T/opt/svm" "$T/opt.svm" "options: concatenated bags of words = one pass"
ok "two files x 2 shards: 4 shards" test "$(ls "$T/opt.s"/*.svm | wc -l)" -eq 4

# more shards than lines: empty shards are fine
printf '5\tgood\n1\tbad movie\n' >"$T/tiny.tsv"
one_pass "$T/tiny" "" "-k 5000" "" "$T/tiny.tsv"
run "$S" -q -n 5 -o "$T/tiny.s" "$T/tiny.tsv"
same "$T/tiny/vocab" "$T/tiny.s/vocab" "5 shards of 2 lines: vocabulary"
joined "$T/tiny.s" >"$T/tiny.svm"
same "$T/tiny/svm" "$T/tiny.svm" "5 shards of 2 lines: bags of words"
# a failure downstream of the tokenizer is reported as itself: a vocabulary
# senti-bow refuses (a duplicate term), in the resumed run
printf 'good\t2\t2\ngood\t1\t1\n' >"$T/tiny.s/vocab"
rm "$T/tiny.s"/*.svm
expect_fail 1 '^senti-bow: .*vocab:2: duplicate term' "a senti-bow error is senti-bow's line" \
    "$S" -q -n 5 -o "$T/tiny.s" "$T/tiny.tsv"

# a bad line in the 6th shard of 7: one pass's message, with the line's
# place in the input file
{ head -n 1200 "$T/in.tsv"; echo "no tab here"; tail -n +1201 "$T/in.tsv"; echo; } >"$T/bad.tsv"
senti-tokenize "$T/bad.tsv" >/dev/null 2>"$T/bad.want"
expect_fail 1 '^senti-tokenize: .*/bad\.tsv:1201: ' "bad line: one line, exit 1" "$S" -q -n 7 -o "$T/bad.s" "$T/bad.tsv"
same "$T/bad.want" "$T/err" "bad line: the message of one pass"
ok "bad line: no bags of words, no temporary files" \
    test -z "$(ls "$T/bad.s" | grep -E '\.(svm|tmp|fail|log)$|^vocab$')"

# resume: a finished run does nothing; a lost shard is made again, the same
touch -d '2000-01-01' "$T/s7"/*.svm
rm "$T/s7/0004.svm" "$T/s7/0004.voc"
run "$S" -q -n 7 -o "$T/s7" "$T/in.tsv"
ok "resume: exit 0" test "$rc" -eq 0
joined "$T/s7" >"$T/s7.again"
same "$T/one/svm" "$T/s7.again" "resume: the same bags of words"
ok "resume: the other shards are not rewritten" \
    test "$(find "$T/s7" -name '*.svm' ! -newermt '2001-01-01' | wc -l)" -eq 6
expect_fail 1 'holds a run with other settings' "another -k in the same directory is refused" \
    "$S" -q -n 7 -k 100 -o "$T/s7" "$T/in.tsv"

# misuse
expect_fail 2 'no output directory' "no -o: exit 2" "$S" "$T/in.tsv"
expect_fail 2 'not a shard count' "-n 0: exit 2" "$S" -n 0 -o "$T/x" "$T/in.tsv"
expect_fail 2 'unknown option' "unknown option: exit 2" "$S" -Z -o "$T/x" "$T/in.tsv"
expect_fail 1 'not a regular file' "stdin refused: shards need a file" "$S" -o "$T/x" - <"$T/in.tsv"
run "$S" --help
ok "--help: exit 0, usage on stdout" grep -q '^Usage: pipelines/shard' "$T/out"
ok "--help: defaults in brackets" grep -q 'vocabulary size.*\[5000\]' "$T/out"

# SIGINT (to the process group, as a terminal's ^C) while the tokenizers
# run: every job ends, no temporary file is left, and the run then resumes
# to the one-pass bytes.  The tokenizer is held back by a wrapper.
mkdir "$T/slow"
cat >"$T/slow/senti-tokenize" <<EOF
#!/usr/bin/env bash
echo \$\$ >>"$T/started"
sleep 30
exec "$B/senti-tokenize" "\$@"
EOF
chmod +x "$T/slow/senti-tokenize"
ln -s "$B/senti-vocab" "$B/senti-bow" "$T/slow/"
set -m
SENTI_BIN=$T/slow "$S" -q -n 3 -j 2 -o "$T/int" "$T/in.tsv" 2>"$T/int.err" &
pid=$!
set +m
for _ in $(seq 200); do [ "$(cat "$T/started" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
for _ in $(seq 50); do ls "$T/int" | grep -q '\.tmp$' && break; sleep 0.1; done
ok "interrupt: the jobs are running" bash -c "ls '$T/int' | grep -q '\.tmp$'"
kill -INT -- -"$pid"
wait "$pid"; rc=$?
ok "interrupt: exit 130 ($rc)" test "$rc" -eq 130
ok "interrupt: no temporary file left" test -z "$(ls "$T/int" | grep -v '^settings$')"
left=0
for p in $(cat "$T/started"); do
    case $(ps -o stat= -p "$p" 2>/dev/null) in "" | Z*) ;; *) left=1 ;; esac
done
ok "interrupt: no job left running" test "$left" -eq 0
sed -i '/sleep/d' "$T/slow/senti-tokenize"
SENTI_BIN=$T/slow run "$S" -q -n 3 -j 2 -o "$T/int" "$T/in.tsv"
joined "$T/int" >"$T/int.svm"
same "$T/one/svm" "$T/int.svm" "interrupt: the run resumes to the one-pass bytes"
finish
