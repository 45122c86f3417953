# pipelines/table2/tsv.mk - Table 2 on your own reviews: any file of
# `rating<TAB>text` lines (corpora/ converts Amazon, IMDB, OpinRank and CSV
# files to it), K-fold cross-validation, the same rows and peers as the
# built-in corpora:
#
#   make table2 CORPUS=tsv TSV=reviews.tsv [KFOLDS=5] [SETTINGS=file.mk]
#               [PRE_TSV=more.tsv]   (more reviews for pretraining only)
#   make tune   CORPUS=tsv TSV=reviews.tsv [BUDGET=seconds]
#
# Results go to results/table2/tsv-NAME/ (NAME: the file's name without its
# extension), the table and plots too.  The settings are the built-in ones
# (pipelines/table2.mk) unless SETTINGS names a makefile of chosen ones,
# such as the settings.mk that `make tune` writes (docs/experiments.md).
ifeq ($(TSV),)
$(error CORPUS=tsv needs TSV=FILE, a file of rating<TAB>text lines)
endif
KFOLD_TSV := $(abspath $(TSV))
include $(top)/pipelines/table2/kfold.mk
