# pipelines/rows.sh - sourced by the peer rows (fasttext-row, liblinear-row):
# scoring predictions and keeping the best setting of a small grid search.

# `gold<TAB>prediction` lines on stdin -> their RMSE, by senti-eval
rmse() { senti-eval -q -f tsv | awk -F'\t' '$1 == "rmse" { print $2 }'; }

# keep SETTING if its validation RMSE beats the best so far:
#   consider SETTING RMSE   (sets best_rmse and best)
best= best_rmse=
consider() {
    if [ -z "$best_rmse" ] || awk -v a="$2" -v b="$best_rmse" 'BEGIN { exit !(a < b) }'; then
        best=$1 best_rmse=$2
    fi
}
