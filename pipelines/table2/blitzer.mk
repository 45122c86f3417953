# pipelines/table2/blitzer.mk - Table 2 on the Blitzer Amazon reviews: the
# 8000 rated reviews (ratings 1, 2, 4, 5), 10-fold cross-validation with
# senti-split (seed 1); pretraining reads only the training folds' text.
FOLDS ?= 1 2 3 4 5 6 7 8 9 10

$(DATA)/blitzer/blitzer.tsv:
	$(top)/corpora/fetch blitzer
$(R)/all.tok: $(DATA)/blitzer/blitzer.tsv
	@mkdir -p $(@D)
	senti-tokenize $< >$@.tmp && mv $@.tmp $@
$(R)/f%/train.tok $(R)/f%/test.tok: $(R)/all.tok
	@mkdir -p $(@D)
	senti-split -q -k 10 -f $(patsubst 0%,%,$*) -s $(SEED) --train $(@D)/train.tok --test $(@D)/test.tok $<
$(R)/f%/pre.tok: $(R)/f%/train.tok
	cp $< $@
