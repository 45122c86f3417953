#!/usr/bin/env bash
# cf_fetch.sh - corpora/fetch movielens against a fake staging directory and
# a fake ml-latest-small.zip (file://) built from the rating fixture: the
# item lines and key, the rerun that finds them up to date, and checksum
# failures of the staged and the downloaded members.
. "$(dirname "$0")/lib.sh"
FETCH=$SENTI_TESTS/../corpora/fetch
export SENTI_BIN=$B
unset SENTI_DATA SENTI_SHARED SENTI_FETCH_MANIFEST SENTI_MOVIELENS_URL
sha() { sha256sum "$1" | cut -d' ' -f1; }

S=$T/shared
mkdir -p "$S/movielens-latest-small" "$T/zip/ml-latest-small"
cp "$F/cf/ratings.csv" "$S/movielens-latest-small/ratings.csv"
echo "a fake README" >"$S/movielens-latest-small/README.txt"
cp "$S"/movielens-latest-small/* "$T/zip/ml-latest-small/"
(cd "$T/zip" && /usr/bin/python3 -m zipfile -c "$T/ml.zip" ml-latest-small)
M=$T/manifest
{
    echo "sha movielens:README.txt $(sha "$S/movielens-latest-small/README.txt")"
    echo "sha movielens:ratings.csv $(sha "$F/cf/ratings.csv")"
    echo "lines movielens:items.svm 6"
} >"$M"
senti-from-ratings -q --scale 0.5,5 -k "$T/key.expected" "$F/cf/ratings.csv" >"$T/items.expected"

run env SENTI_DATA="$T/d1" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$M" bash "$FETCH" movielens
t_result $rc "fetch movielens from staging"
same "$T/d1/movielens/items.svm" "$T/items.expected" "items.svm is senti-from-ratings of ratings.csv"
same "$T/d1/movielens/items.key" "$T/key.expected" "items.key"
same "$T/d1/movielens/raw/ratings.csv" "$F/cf/ratings.csv" "raw ratings.csv kept"
run env SENTI_DATA="$T/d1" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$M" bash "$FETCH" movielens
grep -q 'items.svm: up to date' "$T/err"
t_result $? "a second run finds everything up to date"

run env SENTI_DATA="$T/d2" SENTI_SHARED="$T/none" SENTI_FETCH_MANIFEST="$M" SENTI_MOVIELENS_URL="file://$T/ml.zip" \
    bash "$FETCH" movielens
t_result $rc "fetch movielens from the zip when there is no staging"
same "$T/d2/movielens/items.svm" "$T/items.expected" "items.svm from the zip"

echo "1,99,3,5" >>"$S/movielens-latest-small/ratings.csv"
run env SENTI_DATA="$T/d3" SENTI_SHARED="$S" SENTI_FETCH_MANIFEST="$M" bash "$FETCH" movielens
[ "$rc" -eq 1 ] && tail -n 1 "$T/err" | grep -q 'checksum mismatch for .*ratings.csv'
t_result $? "a staged ratings.csv with another checksum is refused"
ok "nothing converted after the mismatch" test ! -e "$T/d3/movielens/items.svm"
run env SENTI_DATA="$T/d4" SENTI_SHARED="$S" bash "$FETCH" movielens
[ "$rc" -eq 1 ] && tail -n 1 "$T/err" | grep -q 'checksum mismatch'
t_result $? "the built-in checksums of SOURCES.md are checked"
finish
