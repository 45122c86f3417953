# pipelines/hash.mk - semantic hashing (docs/hash.md): short binary codes
# from a deep autoencoder whose top layer has B sigmoid units trained with
# code noise, searched by Hamming distance with senti-search, beside LSA and
# TF-IDF cosine (pipelines/hash-eval), and a 2-D map (pipelines/hash-map).
#
#   make hash                      Blitzer, BITS="16 32 64 128" (~5 min, 1 thread)
#   make hash CORPUS=imdb          IMDB, BITS="32 64" (see below for the time)
#   make hash VALID=1              the same on a validation split of train
#   make hash BITS=64 SEED=2
#
# Three token files per run, in $(R):
#   idx.tok  the index: what the models are trained on and what is searched
#            for the speed figures;
#   lab.tok  the labelled index rows, searched for the precision figures;
#   q.tok    the queries.
# blitzer: one split of the 8000 rated reviews (senti-split --ratio 0.8
#   -s 1): lab = idx = the 6400 train reviews, q = the 1600 test reviews.
# imdb: lab = the 25000 train reviews, idx = train + the 50000 unlabelled
#   (75000), q = the 25000 test reviews.  Precision is over the labelled
#   rows only, so that every neighbour has a rating; the speed over all
#   75000.
# VALID=1 replaces q by a held-out fifth of the train reviews (senti-split
#   --ratio 0.8 -s VALID_SEED, default 2; by movie on IMDB) and lab by the
#   rest; the test reviews are not read.  Settings are chosen with it.
#
# A bag of the VOCAB_K most frequent idx terms; layer 1: 256 rectifiers
# (masking noise); layer 2: B sigmoid units on the layer-1 codes; then the
# two fine-tuned as one deep autoencoder (--stack), and senti-encode --bits
# with each bit's threshold at its unit's median over the index (BALANCE=1;
# BALANCE=0: 0.5).  Code noise CODE_NOISE on the code layer in both
# trainings: 0, which with the medians did best on the validation split
# (docs/hash.md; the models do not depend on BALANCE, but a change of
# CODE_NOISE needs the B<B> directories removed).  Every step is a file
# under $(R), so an interrupted run resumes.  The tables go to
# docs/results/hash/$(CORPUS).md, the map to docs/results/hash/map-*.png.

.DEFAULT_GOAL := all
top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
P := $(top)/pipelines
BIN ?= $(top)/bin
DATA ?= $(top)/data
CORPUS ?= blitzer
VALID ?=
VALID_SEED ?= 2
R ?= $(top)/results/hash/$(CORPUS)$(if $(VALID),-valid$(VALID_SEED))
PUBLISH ?= $(top)/docs/results/hash
PY ?= /usr/bin/python3
SEED ?= 1
THREADS ?= 1
VOCAB_K ?= 2000
CODE_NOISE ?= 0
BALANCE ?= 1
ifeq ($(CORPUS),imdb)
BITS ?= 32 64
L1_OPTS ?= -H 256 -n mask:0.25 -l 0.05 -E 5
L2_OPTS ?= -a sigmoid --code-noise $(CODE_NOISE) -n none -l 0.05 -E 10
STACK_OPTS ?= --code-noise $(CODE_NOISE) -n mask:0.1 -l 0.1 -E 10
else
BITS ?= 16 32 64 128
L1_OPTS ?= -H 256 -n mask:0.25 -l 0.05 -E 10
L2_OPTS ?= -a sigmoid --code-noise $(CODE_NOISE) -n none -l 0.05 -E 20
STACK_OPTS ?= --code-noise $(CODE_NOISE) -n mask:0.1 -l 0.1 -E 30
endif
# the map: a top layer of 2 softplus units pretrained on the layer-1 codes,
# not fine-tuned (2 sigmoid or tanh units saturate, every review at the
# same corner; fine-tuned, the 2 softplus units die: docs/hash.md)
MAP_L2_OPTS ?= -a softplus -n none -l 0.05 -E 20
ENC_BITS := --bits$(if $(filter 1,$(BALANCE)), --balance)
# the other codes of B<B>: with the index's thresholds when balanced
ENC_OTHER = --bits$(if $(filter 1,$(BALANCE)), --thresholds $(R)/B$*/idx.codes)
export PATH := $(BIN):$(PATH)
S := -s $(SEED) -t $(THREADS)
TITLE := $(CORPUS)$(if $(VALID), (validation split $(VALID_SEED) of train))

.PHONY: all map
.DELETE_ON_ERROR:
.SECONDARY:

# --- the three token files ----------------------------------------------
ifeq ($(CORPUS),imdb)
$(DATA)/imdb/train.tsv $(DATA)/imdb/test.tsv $(DATA)/imdb/unsup.tsv $(DATA)/imdb/train.groups &:
	$(top)/corpora/fetch imdb
$(R)/%.raw.tok: $(DATA)/imdb/%.tsv
	@mkdir -p $(@D)
	senti-tokenize $< >$@.tmp && mv $@.tmp $@
ifeq ($(VALID),)
$(R)/lab.tok: $(R)/train.raw.tok
	cp $< $@
$(R)/q.tok: $(R)/test.raw.tok
	cp $< $@
else
$(R)/lab.tok $(R)/q.tok &: $(R)/train.raw.tok $(DATA)/imdb/train.groups
	senti-split -q --ratio 0.8 -s $(VALID_SEED) -g $(DATA)/imdb/train.groups --train $(R)/lab.tok --test $(R)/q.tok $<
endif
$(R)/idx.tok: $(R)/lab.tok $(R)/unsup.raw.tok
	cat $^ >$@.tmp && mv $@.tmp $@
else
$(DATA)/blitzer/blitzer.tsv:
	$(top)/corpora/fetch blitzer
$(R)/all.tok: $(DATA)/blitzer/blitzer.tsv
	@mkdir -p $(@D)
	senti-tokenize $< >$@.tmp && mv $@.tmp $@
$(R)/train.tok $(R)/test.tok &: $(R)/all.tok
	senti-split -q --ratio 0.8 -s 1 --train $(R)/train.tok --test $(R)/test.tok $<
ifeq ($(VALID),)
$(R)/lab.tok: $(R)/train.tok
	cp $< $@
$(R)/q.tok: $(R)/test.tok
	cp $< $@
else
$(R)/lab.tok $(R)/q.tok &: $(R)/train.tok
	senti-split -q --ratio 0.8 -s $(VALID_SEED) --train $(R)/lab.tok --test $(R)/q.tok $<
endif
$(R)/idx.tok: $(R)/lab.tok
	cp $< $@
endif

$(R)/vocab: $(R)/idx.tok
	senti-vocab -q -k $(VOCAB_K) $< >$@.tmp && mv $@.tmp $@
$(R)/%.svm: $(R)/%.tok $(R)/vocab
	senti-bow -q -v $(R)/vocab $< >$@.tmp && mv $@.tmp $@

# --- models and codes ----------------------------------------------------
$(R)/l1.model: $(R)/idx.svm
	senti-pretrain -q $(L1_OPTS) $(S) -o $@ $<
$(R)/h1.svm: $(R)/l1.model $(R)/idx.svm
	senti-encode -m $< $(R)/idx.svm >$@.tmp && mv $@.tmp $@

# per code length B: B<B>/{l2,stack}.model, {idx,lab,q}.codes, nn, speed
$(R)/B%/l2.model: $(R)/h1.svm
	@mkdir -p $(@D)
	senti-pretrain -q -H $* $(L2_OPTS) $(S) -o $@ $<
$(R)/B%/stack.model: $(R)/l1.model $(R)/B%/l2.model $(R)/idx.svm
	senti-pretrain -q --stack $(R)/l1.model,$(R)/B$*/l2.model $(STACK_OPTS) $(S) -o $@ $(R)/idx.svm
# the index codes fix the thresholds (--balance); the others take them
$(R)/B%/idx.codes: $(R)/B%/stack.model $(R)/idx.svm
	senti-encode $(ENC_BITS) -m $< $(R)/idx.svm >$@.tmp && mv $@.tmp $@
$(R)/B%/lab.codes: $(R)/B%/stack.model $(R)/lab.svm $(R)/B%/idx.codes
	senti-encode $(ENC_OTHER) -m $< $(R)/lab.svm >$@.tmp && mv $@.tmp $@
$(R)/B%/q.codes: $(R)/B%/stack.model $(R)/q.svm $(R)/B%/idx.codes
	senti-encode $(ENC_OTHER) -m $< $(R)/q.svm >$@.tmp && mv $@.tmp $@
# precision: the 100 nearest labelled rows of each query
$(R)/B%/nn: $(R)/B%/lab.codes $(R)/B%/q.codes
	senti-search -q -k 100 -i $< $(R)/B$*/q.codes >$@.tmp && mv $@.tmp $@
# speed: the 10 nearest of all index rows; the note has the search time
$(R)/B%/speed.note: $(R)/B%/idx.codes $(R)/B%/q.codes
	senti-search -k 10 -i $< $(R)/B$*/q.codes 2>$@.tmp >$(R)/B$*/speed.out && mv $@.tmp $@

$(PUBLISH)/$(CORPUS)$(if $(VALID),-valid$(VALID_SEED)).md: $(foreach b,$(BITS),$(R)/B$(b)/nn $(R)/B$(b)/speed.note) \
		$(R)/idx.tok $(R)/lab.tok $(R)/q.tok $(P)/hash-eval
	@mkdir -p $(@D)
	{ echo "# Semantic hashing on $(TITLE) (pipelines/hash.mk)"; echo; \
	  echo "Made by \`make hash CORPUS=$(CORPUS)$(if $(VALID), VALID=1 VALID_SEED=$(VALID_SEED)) BITS=\"$(BITS)\" SEED=$(SEED)\` on $$(date -u +%Y-%m-%d), 1 thread;"; \
	  echo "vocabulary $(VOCAB_K), layer 1 \`$(L1_OPTS)\`, layer 2 \`-H B $(L2_OPTS)\`,"; \
	  echo "fine-tuning \`--stack $(STACK_OPTS)\`, \`senti-encode $(ENC_BITS)\`."; \
	  echo "P pol: share of neighbours with the query's polarity (rating above or"; \
	  echo "below the middle); P exact: with its rating."; \
	  echo "queries/s: senti-search's search time (CPU, 10 neighbours among all index rows)"; \
	  echo "and numpy float32 cosine over the LSA vectors of the same rows, one query"; \
	  echo "at a time and 1000 queries per matrix product, 1 thread."; echo; \
	  $(PY) $(P)/hash-eval $(R) $(BITS); } >$@.tmp && mv $@.tmp $@
	@cat $@

all: $(PUBLISH)/$(CORPUS)$(if $(VALID),-valid$(VALID_SEED)).md

# --- the map ------------------------------------------------------------
$(R)/map/l2.model: $(R)/h1.svm
	@mkdir -p $(@D)
	senti-pretrain -q -H 2 $(MAP_L2_OPTS) $(S) -o $@ $<
$(R)/map/q.act: $(R)/l1.model $(R)/map/l2.model $(R)/q.svm
	senti-encode -m $(R)/l1.model $(R)/q.svm | senti-encode -m $(R)/map/l2.model >$@.tmp && mv $@.tmp $@
$(PUBLISH)/map-$(CORPUS).png: $(R)/map/q.act $(R)/idx.tok $(R)/q.tok $(P)/hash-map $(P)/hash-map.gp
	@mkdir -p $(@D)
	$(PY) $(P)/hash-map $(R) $(R)/map/map.dat
	gnuplot -e "dat='$(R)/map/map.dat'; out='$@.tmp'; corpus='$(CORPUS)'" $(P)/hash-map.gp && mv $@.tmp $@

map: $(PUBLISH)/map-$(CORPUS).png
ifeq ($(VALID),)
ifneq ($(CORPUS),imdb)
all: map
endif
endif
