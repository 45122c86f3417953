# pipelines/hash.mk - semantic hashing on the Blitzer Amazon reviews
# (docs/hash.md): short binary codes from a deep autoencoder whose top layer
# has B sigmoid units trained with code noise, searched by Hamming distance
# with senti-search, beside LSA and TF-IDF cosine (pipelines/hash-eval).
#
#   make hash                 (BITS="16 32 64 128", about 5 minutes, 1 thread)
#   make hash BITS=64 SEED=2
#
# One split of the 8000 rated reviews: 80% (6400) train = the index, 20%
# (1600) test = the queries (senti-split seed 1).  A bag of the 2000 most
# frequent train terms; layer 1: 256 rectifiers (masking noise); layer 2:
# B sigmoid units with code noise on the layer-1 codes; then the two
# fine-tuned as one deep autoencoder (--stack) with code noise, and
# senti-encode --bits.  Every step is a file under $(R), so an interrupted
# run resumes.  The table goes to docs/results/hash/table.md.

.DEFAULT_GOAL := all
top := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
P := $(top)/pipelines
BIN ?= $(top)/bin
DATA ?= $(top)/data
R ?= $(top)/results/hash
PUBLISH ?= $(top)/docs/results/hash
PY ?= /usr/bin/python3
BITS ?= 16 32 64 128
SEED ?= 1
THREADS ?= 1
VOCAB_K ?= 2000
L1_OPTS ?= -H 256 -n mask:0.25 -l 0.05 -E 10
CODE_NOISE ?= 2
L2_OPTS ?= -a sigmoid --code-noise $(CODE_NOISE) -n none -l 0.05 -E 20
STACK_OPTS ?= --code-noise $(CODE_NOISE) -n mask:0.1 -l 0.1 -E 30
export PATH := $(BIN):$(PATH)
S := -s $(SEED) -t $(THREADS)

.PHONY: all
.DELETE_ON_ERROR:
.SECONDARY:

$(DATA)/blitzer/blitzer.tsv:
	$(top)/corpora/fetch blitzer

$(R)/all.tok: $(DATA)/blitzer/blitzer.tsv
	@mkdir -p $(@D)
	senti-tokenize $< >$@.tmp && mv $@.tmp $@
$(R)/train.tok $(R)/test.tok &: $(R)/all.tok
	senti-split -q --ratio 0.8 -s 1 --train $(R)/train.tok --test $(R)/test.tok $<
$(R)/vocab: $(R)/train.tok
	senti-vocab -q -k $(VOCAB_K) $< >$@.tmp && mv $@.tmp $@
$(R)/%.svm: $(R)/%.tok $(R)/vocab
	senti-bow -q -v $(R)/vocab $< >$@.tmp && mv $@.tmp $@

$(R)/l1.model: $(R)/train.svm
	senti-pretrain -q $(L1_OPTS) $(S) -o $@ $<
$(R)/h1.svm: $(R)/l1.model $(R)/train.svm
	senti-encode -m $< $(R)/train.svm >$@.tmp && mv $@.tmp $@

# per code length B: B<B>/{l2,stack}.model, {train,test}.codes, nn, search.note
$(R)/B%/l2.model: $(R)/h1.svm
	@mkdir -p $(@D)
	senti-pretrain -q -H $* $(L2_OPTS) $(S) -o $@ $<
$(R)/B%/stack.model: $(R)/l1.model $(R)/B%/l2.model $(R)/train.svm
	senti-pretrain -q --stack $(R)/l1.model,$(R)/B$*/l2.model $(STACK_OPTS) $(S) -o $@ $(R)/train.svm
$(R)/B%/train.codes: $(R)/B%/stack.model $(R)/train.svm
	senti-encode --bits -m $< $(R)/train.svm >$@.tmp && mv $@.tmp $@
$(R)/B%/test.codes: $(R)/B%/stack.model $(R)/test.svm
	senti-encode --bits -m $< $(R)/test.svm >$@.tmp && mv $@.tmp $@
# the 100 nearest train rows of each test row; the note has the search time
$(R)/B%/nn: $(R)/B%/train.codes $(R)/B%/test.codes
	senti-search -k 100 -i $< $(R)/B$*/test.codes >$@.tmp 2>$(R)/B$*/search.note && mv $@.tmp $@

$(PUBLISH)/table.md: $(foreach b,$(BITS),$(R)/B$(b)/nn) $(R)/train.tok $(R)/test.tok $(P)/hash-eval
	@mkdir -p $(@D)
	{ echo "# Semantic hashing on Blitzer (pipelines/hash.mk)"; echo; \
	  echo "Made by \`make hash BITS=\"$(BITS)\" SEED=$(SEED)\` on $$(date -u +%Y-%m-%d), 1 thread;"; \
	  echo "vocabulary $(VOCAB_K), layer 1 \`$(L1_OPTS)\`, layer 2 \`-H B $(L2_OPTS)\`,"; \
	  echo "fine-tuning \`--stack $(STACK_OPTS)\`.  P pol: share of neighbours with the"; \
	  echo "query's polarity (rating > 3 or < 3); P exact: with its rating."; \
	  echo "queries/s: senti-search's search time (scan, one query at a time) and"; \
	  echo "numpy float32 cosine, one query at a time, over the LSA vectors."; echo; \
	  $(PY) $(P)/hash-eval $(R) $(BITS); } >$@.tmp && mv $@.tmp $@
	@cat $@

all: $(PUBLISH)/table.md
