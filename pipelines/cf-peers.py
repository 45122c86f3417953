#!/usr/bin/python3
"""pipelines/cf-peers.py - the peers of the collaborative-filtering table
(docs/cf.md): global mean, user + item biases, biased matrix factorisation
(numpy) and I-AutoRec (Sedhain et al. 2015; PyTorch when it imports, else
numpy), on the item lines that senti-holdout writes.

    cf-peers.py ROW TRAIN HELDOUT PRED [--scale LO,HI] [--seed S] [k=v ...]

ROW: mean, bias, mf, autorec.  Writes `gold<TAB>prediction` for every
held-out entry in the order senti-complete writes them (line by line, by
column), clipped to the scale, and on stderr one line
`ROW: N training ratings, E epochs, T s, R ratings/s`.  Settings k=v
override the defaults below (mf: k, epochs, lr, reg; autorec: hidden,
epochs, lr, reg).  Entries of unseen lines or columns fall back as in
senti-complete, in every row: the global mean for a line without training
ratings; the line's mean for a column absent from training (mf and
autorec; the bias row has the line's bias there).
"""
import sys
import time

import numpy as np


def read(path):
    """(rows, cols, vals, nlines, dim) of a sparse-lines file."""
    r, c, v, n, dim = [], [], [], 0, 0
    for line in open(path):
        if line.startswith('#'):
            for f in line.split():
                if f.startswith('dim='):
                    dim = int(f[4:])
            continue
        line = line.split(' #')[0]
        for e in line.split()[1:]:
            j, x = e.split(':')
            r.append(n)
            c.append(int(j) - 1)
            v.append(float(x))
        n += 1
    c = np.array(c, dtype=np.int64)
    if len(c):
        dim = max(dim, int(c.max()) + 1)
    return np.array(r, dtype=np.int64), c, np.array(v, dtype=np.float64), n, dim


def main():
    a = sys.argv[1:]
    row, trp, hop, outp = a[:4]
    lo, hi, seed, kv = 0.5, 5.0, 1, {}
    i = 4
    while i < len(a):
        if a[i] == '--scale':
            lo, hi = map(float, a[i + 1].split(','))
            i += 2
        elif a[i] == '--seed':
            seed = int(a[i + 1])
            i += 2
        else:
            k, v = a[i].split('=')
            kv[k] = float(v)
            i += 1
    tr_r, tr_c, tr_v, n, dim = read(trp)
    ho_r, ho_c, ho_v, n2, dim2 = read(hop)
    dim = max(dim, dim2)
    if n != n2:
        sys.exit('cf-peers: %s has %d lines, %s %d' % (trp, n, hop, n2))
    rng = np.random.default_rng(seed)
    N = len(tr_v)
    g = tr_v.mean()
    cnt_r = np.bincount(tr_r, minlength=n)
    cnt_c = np.bincount(tr_c, minlength=dim)
    mean_r = np.where(cnt_r > 0, np.bincount(tr_r, tr_v, minlength=n) / np.maximum(cnt_r, 1), g)
    t0 = time.time()
    epochs = 1
    if row == 'mean':
        pred = np.full(len(ho_v), g)
    elif row == 'bias':
        # regularised biases, alternating least squares (Koren 2009, eq. 2)
        reg, epochs = kv.get('reg', 5.0), int(kv.get('epochs', 10))
        bl, bc = np.zeros(n), np.zeros(dim)
        for _ in range(epochs):
            bl = np.bincount(tr_r, tr_v - g - bc[tr_c], minlength=n) / (cnt_r + reg)
            bc = np.bincount(tr_c, tr_v - g - bl[tr_r], minlength=dim) / (cnt_c + reg)
        pred = g + bl[ho_r] + bc[ho_c]
    elif row == 'mf':
        # biased MF by SGD over the shuffled ratings (Koren 2009, eq. 5),
        # in numpy minibatches of 256 ratings
        k, epochs = int(kv.get('k', 50)), int(kv.get('epochs', 30))
        lr, reg, bs = kv.get('lr', 0.01), kv.get('reg', 0.05), int(kv.get('batch', 256))
        P = rng.normal(0, 0.1, (n, k))
        Q = rng.normal(0, 0.1, (dim, k))
        bl, bc = np.zeros(n), np.zeros(dim)
        for _ in range(epochs):
            order = rng.permutation(N)
            for s in range(0, N, bs):
                b = order[s:s + bs]
                u, j, x = tr_r[b], tr_c[b], tr_v[b]
                e = x - (g + bl[u] + bc[j] + np.einsum('ij,ij->i', P[u], Q[j]))
                pu, qj = P[u], Q[j]
                np.add.at(bl, u, lr * (e - reg * bl[u]))
                np.add.at(bc, j, lr * (e - reg * bc[j]))
                np.add.at(P, u, lr * (e[:, None] * qj - reg * pu))
                np.add.at(Q, j, lr * (e[:, None] * pu - reg * qj))
        pred = g + bl[ho_r] + bc[ho_c] + np.einsum('ij,ij->i', P[ho_r], Q[ho_c])
    elif row == 'autorec':
        # I-AutoRec: each line (an item's ratings) through sigmoid hidden
        # units and an identity output, loss on the known ratings only,
        # L2 on the weights (lambda/2 ||W||^2), full-batch Rprop in the
        # paper; Adam on minibatches here
        H, epochs = int(kv.get('hidden', 500)), int(kv.get('epochs', 100))
        lr, reg, bs = kv.get('lr', 0.001), kv.get('reg', 1.0), int(kv.get('batch', 256))
        X = np.zeros((n, dim), dtype=np.float32)
        M = np.zeros((n, dim), dtype=np.float32)
        X[tr_r, tr_c] = tr_v
        M[tr_r, tr_c] = 1
        try:
            import torch
            torch.set_num_threads(int(kv.get('threads', 2)))
            torch.manual_seed(seed)
            Xt, Mt = torch.from_numpy(X), torch.from_numpy(M)
            enc = torch.nn.Linear(dim, H)
            dec = torch.nn.Linear(H, dim)
            opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=lr)
            gen = torch.Generator().manual_seed(seed)
            for _ in range(epochs):
                perm = torch.randperm(n, generator=gen)
                for s in range(0, n, bs):
                    b = perm[s:s + bs]
                    out = dec(torch.sigmoid(enc(Xt[b])))
                    loss = (((out - Xt[b]) * Mt[b]) ** 2).sum() + reg / 2 * (
                        (enc.weight ** 2).sum() + (dec.weight ** 2).sum()) * len(b) / n
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                full = dec(torch.sigmoid(enc(Xt))).numpy()
            impl = 'torch'
        except ImportError:
            impl = 'numpy'
            s6 = np.sqrt(6.0 / (dim + H))
            W = rng.uniform(-s6, s6, (dim, H)).astype(np.float32)
            V = rng.uniform(-s6, s6, (H, dim)).astype(np.float32)
            b1, b2 = np.zeros(H, np.float32), np.zeros(dim, np.float32)
            params = [W, b1, V, b2]
            m1 = [np.zeros_like(p) for p in params]
            m2 = [np.zeros_like(p) for p in params]
            t = 0
            for _ in range(epochs):
                perm = rng.permutation(n)
                for s in range(0, n, bs):
                    b = perm[s:s + bs]
                    x, m = X[b], M[b]
                    h = 1 / (1 + np.exp(-(x @ W + b1)))
                    o = h @ V + b2
                    d = 2 * (o - x) * m
                    f = len(b) / n
                    gV = h.T @ d + reg * f * V
                    gb2 = d.sum(0)
                    dh = (d @ V.T) * h * (1 - h)
                    gW = x.T @ dh + reg * f * W
                    gb1 = dh.sum(0)
                    t += 1
                    for p, gr, u1, u2 in zip(params, [gW, gb1, gV, gb2], m1, m2):
                        u1 *= 0.9
                        u1 += 0.1 * gr
                        u2 *= 0.999
                        u2 += 0.001 * gr * gr
                        p -= lr * (u1 / (1 - 0.9 ** t)) / (np.sqrt(u2 / (1 - 0.999 ** t)) + 1e-8)
            full = (1 / (1 + np.exp(-(X @ W + b1)))) @ V + b2
        pred = full[ho_r, ho_c].astype(np.float64)
        row = 'autorec(%s)' % impl
    else:
        sys.exit('cf-peers: unknown row %s' % row)
    secs = time.time() - t0
    if row != 'mean' and row != 'bias':
        # fallbacks as in senti-complete
        pred = np.where(cnt_c[ho_c] == 0, mean_r[ho_r], pred)
    pred = np.where(cnt_r[ho_r] == 0, g, pred)
    pred = np.clip(pred, lo, hi)
    with open(outp, 'w') as f:
        for x, p in zip(ho_v, pred):
            f.write('%.9g\t%.9g\n' % (x, p))
    rate = N * epochs / secs if secs > 0 else float('inf')
    sys.stderr.write('%s: %d training ratings, %d epochs, %.2f s, %.0f ratings/s\n' % (row, N, epochs, secs, rate))


if __name__ == '__main__':
    main()
