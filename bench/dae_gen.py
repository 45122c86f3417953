#!/usr/bin/env python3
"""dae_gen.py ROWS [DIM] [NNZ] [SEED] - random binary sparse rows shaped like
a top-DIM bag of words: NNZ distinct columns per row (IMDB has 120 over
5000), drawn from a Zipf-like column distribution (weight 1/(rank+10)), with
a rating label 1..10.  Writes the senti sparse format on stdout."""
import bisect
import random
import sys


def main():
    rows = int(sys.argv[1])
    dim = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    nnz = int(sys.argv[3]) if len(sys.argv) > 3 else 120
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rnd = random.Random(seed)
    cum, s = [], 0.0
    for r in range(dim):
        s += 1.0 / (r + 10)
        cum.append(s)
    out = sys.stdout
    out.write("# senti sparse dim=%d\n" % dim)
    for _ in range(rows):
        cols = set()
        while len(cols) < min(nnz, dim):
            cols.add(bisect.bisect_left(cum, rnd.random() * s))
        label = rnd.randint(1, 10)
        out.write(str(label) + "".join(" %d:1" % (c + 1) for c in sorted(cols)) + "\n")


if __name__ == "__main__":
    main()
