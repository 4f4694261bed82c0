#!/usr/bin/env python3
"""Time OpenBLAS sgemm (through numpy) on the shapes of `zebra-bench gemm`, for a side-by-side.

Usage:
    python3 scripts/bench_openblas.py [--threads 1,2] [--mintime 1.0] [--training]

Needs Debian's python3-numpy with libopenblas0 (numpy.show_config() or
/etc/alternatives/libblas.so.3-* shows which BLAS numpy loads). The thread count of OpenBLAS is
fixed when the library loads, so each thread count runs in a child process with
OPENBLAS_NUM_THREADS set. Timing matches zebra-bench: one warm-up run, then the best of the runs made
within --mintime seconds; GFLOP/s = 2*m*n*k / time.
"""
import argparse
import os
import subprocess
import sys
import time

# (name, m, k, n, transA, transB): the im2col GEMMs of CycleGAN at 256x256 and two squares,
# exactly as in cmd/zebra-bench/gemm.go.
ISSUE_SHAPES = [
    ("resblock 3x3 256->256", 4096, 2304, 256),
    ("first conv 7x7 3->64", 65536, 147, 64),
    ("down conv 3x3 64->128", 16384, 576, 128),
    ("down conv 3x3 128->256", 4096, 1152, 256),
    ("square", 1024, 1024, 1024),
    ("square", 2048, 2048, 2048),
]


def shapes(training):
    out = [(name, m, k, n, False, False) for name, m, k, n in ISSUE_SHAPES]
    if training:
        # As the conv layers call them: forward W x cols, dW = dY x cols^T, dcols = W^T x dY.
        for name, spatial, kk, cout in ISSUE_SHAPES[:4]:
            out += [
                (name + " fwd", cout, kk, spatial, False, False),
                (name + " dW", cout, spatial, kk, False, True),
                (name + " dcols", kk, cout, spatial, True, False),
            ]
    return out


def worker(threads, mintime, training):
    import numpy as np

    rng = np.random.default_rng(1)
    for name, m, k, n, ta, tb in shapes(training):
        # Store the operands the way a row-major caller would, then hand numpy the transposed
        # views: OpenBLAS receives the transpose flags, no copy is made.
        a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
        opa, opb = (a.T if ta else a), (b.T if tb else b)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(opa, opb, out=c)  # warm-up
        best = float("inf")
        start = time.perf_counter()
        while time.perf_counter() - start < mintime:
            t0 = time.perf_counter()
            np.matmul(opa, opb, out=c)
            best = min(best, time.perf_counter() - t0)
        op = ("At" if ta else "A") + ("*Bt" if tb else "*B")
        gflops = 2.0 * m * n * k / best / 1e9
        print(f"{name:>24} {m:>6} {k:>6} {n:>6} {op:>5} {'openblas':>8} {threads:>7} {best*1e3:>9.2f} {gflops:>8.1f}",
              flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--mintime", type=float, default=1.0, help="seconds of timed runs per shape")
    ap.add_argument("--training", action="store_true", help="also time the transposed conv shapes")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.mintime, args.training)
        return
    print(f"{'shape':>24} {'m':>6} {'k':>6} {'n':>6} {'op':>5} {'path':>8} {'threads':>7} {'ms':>9} {'GFLOP/s':>8}")
    for t in [int(x) for x in args.threads.split(",")]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        cmd = [sys.executable, __file__, "--worker", str(t), "--mintime", str(args.mintime)]
        if args.training:
            cmd.append("--training")
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
