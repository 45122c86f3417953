#!/usr/bin/env python3
"""dae_torch.py FILE BATCH[,BATCH...] [SECONDS] - the peer for bench/dae.sh:
PyTorch doing the computation of one senti-pretrain step: a 5000 -> H
rectifier layer, salt-and-pepper noise 0.1, sigmoid + cross-entropy
reconstruction, L1 0.001 on the hidden units, untied weights, plain SGD on
the batch mean.  Prints one line per batch size:
  torch batch=B ex_per_s=X threads=T
Rows come from a senti sparse file (binary bag of words)."""
import os
import sys
import time

import torch


def read_rows(path):
    rows, dim = [], 0
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                if "dim=" in line:
                    dim = int(line.split("dim=")[1].split()[0])
                continue
            cols = [int(t.split(":")[0]) - 1 for t in line.split()[1:] if ":" in t]
            rows.append(cols)
            if cols:
                dim = max(dim, cols[-1] + 1)
    x = torch.zeros(len(rows), dim)
    for i, cols in enumerate(rows):
        x[i, cols] = 1.0
    return x


def main():
    path, batches = sys.argv[1], [int(b) for b in sys.argv[2].split(",")]
    budget = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    hidden = int(os.environ.get("DAE_HIDDEN", "5000"))
    threads = int(os.environ.get("DAE_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x_all = read_rows(path)
    n, dim = x_all.shape
    enc = torch.nn.Linear(dim, hidden)
    dec = torch.nn.Linear(hidden, dim)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.SGD(params, lr=0.01)
    bce = torch.nn.BCEWithLogitsLoss(reduction="sum")

    def step(x):
        noise = torch.rand_like(x) < 0.1
        salt = (torch.rand_like(x) < 0.5).float()
        xt = torch.where(noise, salt, x)
        h = torch.relu(enc(xt))
        o = dec(h)
        loss = (bce(o, x) + 0.001 * h.abs().sum()) / x.shape[0]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for b in batches:
        # warm up, then time whole batches for about budget/len(batches) s
        step(x_all[:b])
        done, i, t0 = 0, 0, time.perf_counter()
        while True:
            if i + b > n:
                i = 0
            step(x_all[i:i + b])
            i += b
            done += b
            el = time.perf_counter() - t0
            if el > budget / len(batches) and done >= 2 * b:
                break
        print("torch batch=%d ex_per_s=%.1f threads=%d" % (b, done / el, threads), flush=True)


if __name__ == "__main__":
    main()
