# tests/sh/corpora_fetch.sh - corpora/fetch against a fake staging directory
# and fake download URLs (file://) built from the converter fixtures: the
# results, idempotency, repair, atomicity and every checksum failure.
. "$(dirname "$0")/lib.sh"
C=$F/corpora
FETCH=$SENTI_TESTS/../corpora/fetch
export SENTI_BIN=$B
unset SENTI_DATA SENTI_SHARED SENTI_FETCH_MANIFEST SENTI_BLITZER_URL SENTI_IMDB_URL

sha() { sha256sum "$1" | cut -d' ' -f1; }

# fetch_fail CODE REGEX DESCRIPTION ENV... -- NAME...: fetch exits CODE and
# its last stderr line (any line for misuse) matches REGEX.
fetch_fail() {
    local code=$1 re=$2 d=$3 envs=(); shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" bash "$FETCH" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    local r=0
    [ "$rc" -eq "$code" ] || { echo "  exit $rc, wanted $code" >&2; r=1; }
    { if [ "$code" -eq 2 ]; then cat "$T/err"; else tail -n 1 "$T/err"; fi; } | grep -Eq -- "$re" || { echo "  last stderr line does not match /$re/" >&2; r=1; }
    [ $r -ne 0 ] && sed 's/^/  | /' "$T/err" | tail -5 >&2
    t_result $r "$d"
}

# ---------------------------------------------------------------- fake sources
S=$T/shared
M=$T/manifest
: >"$M"
blitzer_files="books/negative books/positive dvd/negative dvd/positive electronics/negative
electronics/positive kitchen_&_housewares/negative kitchen_&_housewares/positive"
mkdir -p "$T/dsd/sorted_data_acl"
for f in $blitzer_files; do
    mkdir -p "$S/blitzer-mdsd/sorted_data_acl/$(dirname "$f")" "$T/dsd/sorted_data_acl/$(dirname "$f")"
    # each file differs (its name in the text) so a mix-up would show
    sed "s|^Awful\$|Awful $f|" "$C/blitzer/good.review" >"$T/dsd/sorted_data_acl/$f.review"
    gzip -n -9 -c "$T/dsd/sorted_data_acl/$f.review" >"$S/blitzer-mdsd/sorted_data_acl/$f.review.gz"
    echo "gz blitzer:$f.review $(sha "$S/blitzer-mdsd/sorted_data_acl/$f.review.gz")" >>"$M"
    echo "sha blitzer:$f.review $(sha "$T/dsd/sorted_data_acl/$f.review")" >>"$M"
done
(cd "$T/dsd" && tar -czf "$T/dsd.tar.gz" sorted_data_acl)
args=()
for f in $blitzer_files; do args+=("$T/dsd/sorted_data_acl/$f.review"); done
senti-from-blitzer "${args[@]}" >"$T/blitzer.expected"
[ "$(wc -l <"$T/blitzer.expected")" -eq 40 ]
t_result $? "fake Blitzer source has 40 reviews"

mkdir -p "$S/imdb-maas-aclimdb"
(cd "$C/imdb" && tar -czf "$S/imdb-maas-aclimdb/aclImdb_v1_labeled.tar.gz" aclImdb/README aclImdb/test \
    aclImdb/train/pos aclImdb/train/neg aclImdb/train/urls_pos.txt aclImdb/train/urls_neg.txt &&
    tar -czf "$S/imdb-maas-aclimdb/aclImdb_v1_unsup.tar.gz" aclImdb/train/unsup &&
    tar -czf "$T/aclImdb_v1.tar.gz" aclImdb)
tree=$(cd "$C/imdb" && find aclImdb/train/pos aclImdb/train/neg aclImdb/test/pos aclImdb/test/neg \
    aclImdb/train/unsup -type f -name '*.txt' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
for t in aclImdb_v1_labeled.tar.gz aclImdb_v1_unsup.tar.gz; do
    echo "sha imdb:$t $(sha "$S/imdb-maas-aclimdb/$t")" >>"$M"
done
senti-from-imdb "$C/imdb/aclImdb/train/neg" "$C/imdb/aclImdb/train/pos" >"$T/train.expected"
senti-from-imdb "$C/imdb/aclImdb/test/neg" "$C/imdb/aclImdb/test/pos" >"$T/test.expected"
senti-from-imdb "$C/imdb/aclImdb/train/unsup" >"$T/unsup.expected"

mkdir -p "$S/opinrank-cars-sample"
for f in 2009_audi_a4 2009_audi_a5 2009_audi_q5; do
    sed "s/2009_test_car/$f/" "$C/opinrank/sample" >"$S/opinrank-cars-sample/$f"
    echo "sha opinrank:$f $(sha "$S/opinrank-cars-sample/$f")" >>"$M"
done
for f in 2009_audi_a4 2009_audi_a5 2009_audi_q5; do cat "$C/opinrank/sample.expected"; done >"$T/opinrank.expected"

cat >>"$M" <<EOF
lines blitzer:blitzer.tsv 40
labels blitzer:blitzer.tsv 1,2,4,5
sha imdb:aclImdb_v1.tar.gz $(sha "$T/aclImdb_v1.tar.gz")
tree imdb:aclImdb $tree
lines imdb:train.tsv 6
labels imdb:train.tsv 1,10,4,7,9
lines imdb:test.tsv 2
labels imdb:test.tsv 2,8
lines imdb:unsup.tsv 2
labels imdb:unsup.tsv ?
lines opinrank:opinrank.tsv 9
labels opinrank:opinrank.tsv ?
EOF
# manifest_with KIND KEY VALUE: a copy of the manifest with one value changed
manifest_with() {
    awk -v k="$1" -v key="$2" -v v="$3" '$1 == k && $2 == key { $3 = v } { print }' "$M" >"$T/manifest2"
}

# ---------------------------------------------------------------- usage
run bash "$FETCH" --help
[ "$rc" -eq 0 ] && grep -q '^Usage: corpora/fetch' "$T/out"
t_result $? "fetch --help"
fetch_fail 2 "no corpus named" "fetch without NAME is misuse" --
fetch_fail 2 "unknown corpus 'yelp'" "fetch of an unknown corpus is misuse" -- yelp

# ---------------------------------------------------------------- staging path
D=$T/data
E=(SENTI_DATA="$D" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$M")
run env "${E[@]}" bash "$FETCH" blitzer imdb opinrank
[ "$rc" -eq 0 ]
t_result $? "fetch blitzer imdb opinrank from staging"
[ "$rc" -ne 0 ] && sed 's/^/  | /' "$T/err" | tail -5 >&2
same "$D/blitzer/blitzer.tsv" "$T/blitzer.expected" "blitzer.tsv is the conversion of the 8 files in order"
same "$D/imdb/train.tsv" "$T/train.expected" "imdb train.tsv"
same "$D/imdb/test.tsv" "$T/test.expected" "imdb test.tsv"
same "$D/imdb/unsup.tsv" "$T/unsup.expected" "imdb unsup.tsv"
# train.groups: neg reviews 1, 3, 11 then pos 0, 2, 10, each the title id on
# line id+1 of its urls file (pos 2 and 10 are of one movie)
printf '%s\n' tt0710000 tt0700000 tt0720000 tt0500000 tt0520000 tt0520000 >"$T/groups.expected"
same "$D/imdb/train.groups" "$T/groups.expected" "imdb train.groups: the movie of each train.tsv line"
same "$D/opinrank/opinrank.tsv" "$T/opinrank.expected" "opinrank.tsv"
same "$D/blitzer/raw/sorted_data_acl/dvd/positive.review" "$T/dsd/sorted_data_acl/dvd/positive.review" \
    "raw files kept, decompressed"
[ -f "$D/imdb/raw/aclImdb/train/unsup/5_0.txt" ] && [ -f "$D/imdb/raw/aclImdb_v1_labeled.tar.gz" ]
t_result $? "imdb raw tarballs and extracted tree kept"
! grep -v -E '^fetch (blitzer|imdb|opinrank): ' "$T/err" | grep -q .
t_result $? "every stderr line names the step"
grep -q '^fetch blitzer: raw/books/positive.review: copied from staging, verified$' "$T/err"
t_result $? "stderr reports the copy and check"
[ -z "$(find "$D" -name '*.tmp.*')" ]
t_result $? "no temporary files left behind"

outs=("$D/blitzer/blitzer.tsv" "$D/imdb/train.tsv" "$D/imdb/train.groups" "$D/opinrank/opinrank.tsv")
ino=$(stat -c %i "${outs[@]}")
run env "${E[@]}" bash "$FETCH" blitzer imdb opinrank
[ "$rc" -eq 0 ] && [ "$(stat -c %i "${outs[@]}")" = "$ino" ]
t_result $? "second run leaves the outputs alone"
grep -q '^fetch blitzer: blitzer.tsv: up to date (40 lines)$' "$T/err" &&
    grep -q '^fetch imdb: raw/aclImdb: verified earlier$' "$T/err" &&
    grep -q '^fetch imdb: train.groups: up to date (6 lines)$' "$T/err" && ! grep -q 'copied' "$T/err"
t_result $? "second run says what it skipped"

# a urls file without the line of a review: an error, the old groups kept
u=$D/imdb/raw/aclImdb/train/urls_neg.txt
cp "$u" "$T/urls_neg.saved" && head -5 "$u" >"$u.short" && mv "$u.short" "$u"
run env "${E[@]}" bash "$FETCH" imdb
[ "$rc" -eq 1 ] && tail -1 "$T/err" | grep -q 'error: .*urls_neg.txt: no movie for every review of .*train/neg$'
t_result $? "a urls file too short for review 11 is an error naming it"
same "$D/imdb/train.groups" "$T/groups.expected" "train.groups untouched by the failed run"
[ -z "$(find "$D" -name '*.tmp.*')" ]
t_result $? "no temporary files left by the failed run"
mv "$T/urls_neg.saved" "$u"

echo damage >>"$D/blitzer/raw/sorted_data_acl/books/negative.review"
echo '5	extra' >>"$D/opinrank/opinrank.tsv"
run env "${E[@]}" bash "$FETCH" blitzer opinrank
[ "$rc" -eq 0 ] && grep -q 'raw/books/negative.review: copied from staging' "$T/err"
t_result $? "a damaged raw file is fetched again"
same "$D/blitzer/raw/sorted_data_acl/books/negative.review" "$T/dsd/sorted_data_acl/books/negative.review" \
    "the damaged raw file is repaired"
same "$D/opinrank/opinrank.tsv" "$T/opinrank.expected" "a changed output is converted again"

# ---------------------------------------------------------------- checksum failures
manifest_with gz "blitzer:dvd/negative.review" 0000000000000000000000000000000000000000000000000000000000000000
fetch_fail 1 "^fetch blitzer: error: checksum mismatch for .*/dvd/negative\.review\.gz: sha256 [0-9a-f]{64}, expected 0{64}\$" \
    "staged .gz checksum mismatch fails" SENTI_DATA="$T/d2" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$T/manifest2" -- blitzer
[ ! -e "$T/d2/blitzer/blitzer.tsv" ] && [ ! -e "$T/d2/blitzer/raw/sorted_data_acl/dvd/negative.review" ] &&
    [ -z "$(find "$T/d2" -name '*.tmp.*')" ]
t_result $? "nothing unverified is left after a mismatch"
manifest_with sha "blitzer:electronics/positive.review" 1111111111111111111111111111111111111111111111111111111111111111
fetch_fail 1 "checksum mismatch for electronics/positive\.review \(decompressed from .*\.gz\): sha256 [0-9a-f]{64}, expected 1{64}\$" \
    "decompressed original checksum mismatch fails" \
    SENTI_DATA="$T/d3" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$T/manifest2" -- blitzer
fetch_fail 1 "^fetch blitzer: error: checksum mismatch for .*/books/negative\.review\.gz: sha256 $(sha "$S/blitzer-mdsd/sorted_data_acl/books/negative.review.gz"), expected 57c0e82f005e8776bb036a45641bb4df7df5fe2ae55edcf2f6ad284395ec08fb\$" \
    "the built-in checksums (SOURCES.md) are checked" SENTI_DATA="$T/d4" SENTI_SHARED="$S" -- blitzer
fetch_fail 1 "checksum mismatch for .*/aclImdb_v1_labeled\.tar\.gz: .*expected 1505f4228fb768effaec569c61ab2b0e9795b17dc915e48419c346f2b6dca322\$" \
    "built-in IMDB tarball checksum checked" SENTI_DATA="$T/d4" SENTI_SHARED="$S" -- imdb
fetch_fail 1 "checksum mismatch for .*/2009_audi_a4: .*expected 92691712827b0b26ef425c7b85200fd989db0806e917b0bbe9039648f6bc802e\$" \
    "built-in OpinRank checksum checked" SENTI_DATA="$T/d4" SENTI_SHARED="$S" -- opinrank
manifest_with tree imdb:aclImdb 2222222222222222222222222222222222222222222222222222222222222222
fetch_fail 1 "checksum mismatch for the extracted review files: digest $tree, expected 2{64}\$" \
    "extracted IMDB tree checked" SENTI_DATA="$T/d5" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$T/manifest2" -- imdb
[ ! -e "$T/d5/imdb/raw/aclImdb" ] && [ -z "$(find "$T/d5" -name '*.tmp.*')" ]
t_result $? "an unverified tree is not kept"
manifest_with lines blitzer:blitzer.tsv 41
fetch_fail 1 "blitzer\.tsv has 40 lines, expected 41\$" "wrong line count fails" \
    SENTI_DATA="$T/d6" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$T/manifest2" -- blitzer
[ ! -e "$T/d6/blitzer/blitzer.tsv" ]
t_result $? "no output after a failed count check"
manifest_with labels imdb:test.tsv 2,7
fetch_fail 1 "test\.tsv has labels 2,8, expected 2,7\$" "wrong label set fails" \
    SENTI_DATA="$T/d6" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$T/manifest2" -- imdb
rm "$S/opinrank-cars-sample/2009_audi_a5"
fetch_fail 1 "2009_audi_a5: missing from the staging directory\$" "missing staged file fails" \
    SENTI_DATA="$T/d6" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$M" -- opinrank

# ---------------------------------------------------------------- download path
N=$T/no-staging
fetch_fail 1 "no staging directory at $N and cannot download file://$T/none\.tar\.gz\$" \
    "neither staging nor download: clear failure" \
    SENTI_DATA="$T/d7" SENTI_SHARED="$N" SENTI_FETCH_MANIFEST="$M" SENTI_BLITZER_URL="file://$T/none.tar.gz" -- blitzer
fetch_fail 1 "no staging directory at $N and cannot download file://$T/none\.tar\.gz\$" \
    "imdb: neither staging nor download" \
    SENTI_DATA="$T/d7" SENTI_SHARED="$N" SENTI_FETCH_MANIFEST="$M" SENTI_IMDB_URL="file://$T/none.tar.gz" -- imdb
fetch_fail 1 "no staging directory at $N; OpinRank has no scripted download" "opinrank: no staging" \
    SENTI_DATA="$T/d7" SENTI_SHARED="$N" -- opinrank
run env SENTI_DATA="$T/d8" SENTI_SHARED="$N" SENTI_FETCH_MANIFEST="$M" SENTI_BLITZER_URL="file://$T/dsd.tar.gz" \
    SENTI_IMDB_URL="file://$T/aclImdb_v1.tar.gz" bash "$FETCH" blitzer imdb
[ "$rc" -eq 0 ] && grep -q "^fetch blitzer: downloading file://$T/dsd.tar.gz\$" "$T/err" &&
    grep -q '^fetch imdb: raw/aclImdb_v1.tar.gz: downloaded, verified$' "$T/err"
t_result $? "download path (file:// URLs) works"
[ "$rc" -ne 0 ] && sed 's/^/  | /' "$T/err" | tail -5 >&2
same "$T/d8/blitzer/blitzer.tsv" "$T/blitzer.expected" "downloaded blitzer gives the same lines"
same "$T/d8/imdb/train.tsv" "$T/train.expected" "downloaded imdb gives the same train.tsv"
same "$T/d8/imdb/unsup.tsv" "$T/unsup.expected" "downloaded imdb gives the same unsup.tsv"
manifest_with sha imdb:aclImdb_v1.tar.gz 3333333333333333333333333333333333333333333333333333333333333333
fetch_fail 1 "checksum mismatch for file://.*aclImdb_v1\.tar\.gz: sha256 [0-9a-f]{64}, expected 3{64}\$" \
    "downloaded IMDB tarball checksum checked" SENTI_DATA="$T/d9" SENTI_SHARED="$N" \
    SENTI_FETCH_MANIFEST="$T/manifest2" SENTI_IMDB_URL="file://$T/aclImdb_v1.tar.gz" -- imdb
manifest_with sha blitzer:dvd/positive.review 4444444444444444444444444444444444444444444444444444444444444444
fetch_fail 1 "checksum mismatch for sorted_data_acl/dvd/positive\.review from .*domain_sentiment_data\.tar\.gz: sha256 [0-9a-f]{64}, expected 4{64}\$" \
    "downloaded Blitzer files checked" SENTI_DATA="$T/d9" SENTI_SHARED="$N" \
    SENTI_FETCH_MANIFEST="$T/manifest2" SENTI_BLITZER_URL="file://$T/dsd.tar.gz" -- blitzer

finish
