#!/usr/bin/python3
"""Times CycleGAN generator inference in PyTorch, the side-by-side for `zebra-bench translate`.

The generator is the official ResnetGenerator (ngf 64, InstanceNorm, reflection padding, 9 blocks
by default) with the official init, taken from scripts/bench_pytorch_train.py, in eval mode and
under torch.no_grad(), as the official test.py runs it. Batch 1, random images in [-1, 1],
2 threads (PyTorch 1.13 defaults to 1 here). Image decoding and encoding are not timed: this is
the network alone.

Prints, per size: seconds per image after warm-up, CPU seconds per image, GFLOP per image by the
same analytic count as `zebra-bench translate` (convolutions only, 2 FLOP per multiply-add), GFLOP/s
and the process's peak RSS so far (sizes run in the order given). The CPU time includes the time
PyTorch's OpenMP threads spend spinning while they wait, so on a busy machine it can exceed the
work done.

    /usr/bin/python3 scripts/bench_pytorch_infer.py [--sizes 256] [--iters 5] [--warmup 1]
"""
import argparse
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_pytorch_train import ResnetGenerator, conv_macs, init_weights, warn_reference_blas  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=9)
    args = ap.parse_args()
    warn_reference_blas()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__} CycleGAN generator inference (eval, no_grad), batch 1, ngf {args.ngf}, "
          f"{args.blocks} blocks, {torch.get_num_threads()} threads, {args.warmup} warm-up + {args.iters} timed images")
    print(f"{'size':>6} {'s/image':>12} {'CPU s/image':>12} {'GFLOP/image':>12} {'GFLOP/s':>10} {'peak RSS':>14}")
    for size in [int(s) for s in args.sizes.split(",")]:
        G = ResnetGenerator(args.ngf, args.blocks)
        init_weights(G)
        G.eval()
        flops = 2 * sum(conv_macs(G, size))

        def translate():
            x = torch.rand(1, 3, size, size) * 2 - 1
            with torch.no_grad():
                return G(x)

        for _ in range(args.warmup):
            translate()
        cpu_start, start = time.process_time(), time.perf_counter()
        for _ in range(args.iters):
            translate()
        per_image = (time.perf_counter() - start) / args.iters
        cpu_per_image = (time.process_time() - cpu_start) / args.iters
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"{size:>6} {per_image:>12.3f} {cpu_per_image:>12.3f} {flops / 1e9:>12.1f} {flops / per_image / 1e9:>10.1f} "
              f"{rss / 1e9:>11.2f} GB", flush=True)


if __name__ == "__main__":
    main()
