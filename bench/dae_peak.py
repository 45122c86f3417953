#!/usr/bin/env python3
"""dae_peak.py [THREADS] - OpenBLAS sgemm peak on this machine: calls
cblas_sgemm of libopenblas.so.0 (the library senti links) through ctypes on
large square-ish products and prints the best GFLOP/s:
  peak gflops=X threads=T lib=PATH"""
import ctypes
import os
import sys
import time

import numpy as np


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    path = "libopenblas.so.0"
    lib = ctypes.CDLL(path)
    lib.openblas_set_num_threads(threads)
    f = ctypes.c_float
    p = ctypes.c_void_p
    lib.cblas_sgemm.argtypes = [ctypes.c_int] * 6 + [f, p, ctypes.c_int, p, ctypes.c_int, f, p,
                                                      ctypes.c_int]
    best = 0.0
    for (m, n, k) in [(2000, 5000, 5000), (5000, 5000, 1000), (1000, 5000, 5000)]:
        rng = np.random.default_rng(1)
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        c = np.zeros((m, n), dtype=np.float32)
        for rep in range(3):
            t0 = time.perf_counter()
            # RowMajor=101, NoTrans=111
            lib.cblas_sgemm(101, 111, 111, m, n, k, 1.0, a.ctypes.data, k, b.ctypes.data, n, 0.0,
                            c.ctypes.data, n)
            el = time.perf_counter() - t0
            best = max(best, 2.0 * m * n * k / el / 1e9)
    real = path
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libopenblas" in line:
                real = os.path.realpath(line.split()[-1])
                break
    print("peak gflops=%.1f threads=%d lib=%s" % (best, threads, real))


if __name__ == "__main__":
    main()
