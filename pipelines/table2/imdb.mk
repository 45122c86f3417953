# pipelines/table2/imdb.mk - Table 2 on IMDB: the official 25k/25k split,
# ratings 1-4 and 7-10; pretraining reads the training reviews plus the 50k
# unlabeled ones.  One split, so the table's spread is the bootstrap
# standard error of the test RMSE.
FOLD_DIRS ?= $(R)/test

$(DATA)/imdb/train.tsv $(DATA)/imdb/test.tsv $(DATA)/imdb/unsup.tsv &:
	$(top)/corpora/fetch imdb
$(R)/corpus/%.tok: $(DATA)/imdb/%.tsv
	@mkdir -p $(@D)
	senti-tokenize $< >$@.tmp && mv $@.tmp $@
$(R)/test/train.tok: $(R)/corpus/train.tok
	@mkdir -p $(@D)
	cp $< $@
$(R)/test/test.tok: $(R)/corpus/test.tok
	@mkdir -p $(@D)
	cp $< $@
$(R)/test/pre.tok: $(R)/corpus/train.tok $(R)/corpus/unsup.tok
	@mkdir -p $(@D)
	cat $^ >$@.tmp && mv $@.tmp $@
