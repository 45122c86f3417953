# pipelines/cf.mk - collaborative filtering with autoencoders (Strub & Mary
# 2015) on MovieLens ml-latest-small, beside the global mean, user + item
# biases, biased matrix factorisation and I-AutoRec (docs/cf.md).
#
#   make cf                  (the top Makefile runs this file with make -f)
#   make cf SEEDS="1 2"      fewer splits
#
# Every step is a file under $(R): the data, the settings chosen on a
# validation split of seed 1's training part (tune/settings), one
# directory per seed (sS/ROW.pred, ROW.rmse, ROW.rate), then the table
# docs/results/cf/table.md.  The steps are in pipelines/cf-run.
.DEFAULT_GOAL := all
top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
P := $(top)/pipelines
BIN ?= $(top)/bin
DATA ?= $(top)/data
R ?= $(top)/results/cf
SEEDS ?= 1 2 3 4 5
THREADS ?= 1
OUT ?= $(top)/docs/results/cf/table.md
ITEMS := $(DATA)/movielens/items.svm
RUN = BIN=$(BIN) THREADS=$(THREADS) bash $(P)/cf-run

$(ITEMS):
	SENTI_DATA=$(DATA) SENTI_BIN=$(BIN) bash $(top)/corpora/fetch movielens

$(R)/tune/settings: $(ITEMS) $(P)/cf-run $(P)/cf-peers.py
	$(RUN) tune $(ITEMS) $(R)/tune

$(R)/s%/done: $(R)/tune/settings
	$(RUN) seed $(ITEMS) $(R)/s$* $* $(R)/tune/settings
	touch $@

$(OUT): $(foreach s,$(SEEDS),$(R)/s$(s)/done)
	mkdir -p $(dir $@)
	$(RUN) table $(R) $@ $(SEEDS)
	cat $@

all: $(OUT)
.PHONY: all
