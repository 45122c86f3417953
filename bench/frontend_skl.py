"""bench/frontend_skl.py - the peer of bench/frontend.sh: scikit-learn's
CountVectorizer(binary=True, max_features=5000).fit_transform on the same
rating<TAB>text files.  Prints seconds for reading and for fit_transform (wall and CPU),
and writes the kept terms (one a line) to the file named by --terms."""
import sys
import time


def main():
    args = sys.argv[1:]
    terms_out = None
    if args and args[0] == "--terms":
        terms_out = args[1]
        args = args[2:]
    t0 = time.perf_counter()
    from sklearn.feature_extraction.text import CountVectorizer
    t1 = time.perf_counter()
    docs = []
    for path in args:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                docs.append(line.rstrip("\n").split("\t", 1)[1])
    t2 = time.perf_counter()
    c2 = time.process_time()
    cv = CountVectorizer(binary=True, max_features=5000)
    x = cv.fit_transform(docs)
    t3 = time.perf_counter()
    c3 = time.process_time()
    if terms_out:
        with open(terms_out, "w", encoding="utf-8") as f:
            for term in cv.vocabulary_:
                f.write(term + "\n")
    print("sklearn import %.3f read %.3f fit_transform %.3f cpu %.3f docs %d nnz %d shape %dx%d"
          % (t1 - t0, t2 - t1, t3 - t2, c3 - c2, len(docs), x.nnz, x.shape[0], x.shape[1]))


main()
