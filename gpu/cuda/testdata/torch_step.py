#!/usr/bin/python3
"""Times PyTorch's CycleGAN training iteration on a CUDA device, the side-by-side for
gpu/cuda's BenchmarkCycleGANStep256 (see device_check.sh).

The networks, initialization, image pool and the step itself are those of
scripts/bench_pytorch_train.py (the official optimize_parameters), moved to --device; each timed
iteration ends with torch.cuda.synchronize(), as zebra's step ends by reading its losses.

It times three settings in one process, each on fresh networks: PyTorch's defaults (cuDNN may use
TF32 for convolutions, matrix products stay float32), strict float32 (no TF32 anywhere, the
arithmetic zebra does), and the defaults with cudnn.benchmark (autotuned convolution algorithms).
For each it prints the median and the spread of the timed iterations and the peak GPU memory
(max_memory_allocated: live tensors; max_memory_reserved: what the caching allocator holds).

    python3 gpu/cuda/testdata/torch_step.py [--device cuda] [--size 256] [--iters 10] [--warmup 3]
"""
import argparse
import importlib.util
import itertools
import os
import random
import time

import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
spec = importlib.util.spec_from_file_location("bench", os.path.join(ROOT, "scripts", "bench_pytorch_train.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def run(args, dev, setting):
    torch.manual_seed(0)
    random.seed(0)
    G_A, G_B = bench.ResnetGenerator(64, 9).to(dev), bench.ResnetGenerator(64, 9).to(dev)
    D_A, D_B = bench.NLayerDiscriminator(64, 3).to(dev), bench.NLayerDiscriminator(64, 3).to(dev)
    for n in (G_A, G_B, D_A, D_B):
        bench.init_weights(n)
    opt_G = torch.optim.Adam(itertools.chain(G_A.parameters(), G_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    pool_A, pool_B = bench.ImagePool(50), bench.ImagePool(50)
    mse, l1 = nn.MSELoss(), nn.L1Loss()

    def gan(pred, real):
        return mse(pred, torch.full_like(pred, 1.0 if real else 0.0))

    def step():
        real_A = torch.rand(1, 3, args.size, args.size, device=dev) * 2 - 1
        real_B = torch.rand(1, 3, args.size, args.size, device=dev) * 2 - 1
        fake_B, fake_A = G_A(real_A), G_B(real_B)
        rec_A, rec_B = G_B(fake_B), G_A(fake_A)
        for p in itertools.chain(D_A.parameters(), D_B.parameters()):
            p.requires_grad = False
        opt_G.zero_grad()
        loss_G = (gan(D_A(fake_B), True) + gan(D_B(fake_A), True) + l1(rec_A, real_A) * 10 + l1(rec_B, real_B) * 10
                  + l1(G_A(real_B), real_B) * 5 + l1(G_B(real_A), real_A) * 5)
        loss_G.backward()
        opt_G.step()
        for p in itertools.chain(D_A.parameters(), D_B.parameters()):
            p.requires_grad = True
        opt_D.zero_grad()
        for D, real, fake in ((D_A, real_B, pool_B.query(fake_B)), (D_B, real_A, pool_A.query(fake_A))):
            loss_D = (gan(D(real), True) + gan(D(fake.detach()), False)) * 0.5
            loss_D.backward()
        opt_D.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    memory = ""
    if dev.type == "cuda":
        memory = (f", peak GPU memory {torch.cuda.max_memory_allocated(dev) / 1e9:.2f} GB allocated, "
                  f"{torch.cuda.max_memory_reserved(dev) / 1e9:.2f} GB reserved")
    print(f"  {setting:<28} {times[len(times) // 2] * 1000:8.1f} ms median (min {times[0] * 1000:.1f}, "
          f"max {times[-1] * 1000:.1f}; {args.iters} after {args.warmup} warm-up){memory}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    dev = torch.device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    cudnn = torch.backends.cudnn.version() if dev.type == "cuda" else None
    print(f"PyTorch {torch.__version__} (cuDNN {cudnn}) on {name}: CycleGAN training iteration at "
          f"{args.size}x{args.size}, batch 1, ngf = ndf = 64, 9 blocks", flush=True)
    settings = [
        ("defaults", dict(conv_tf32=True, matmul_tf32=False, benchmark=False)),
        ("float32 (no TF32)", dict(conv_tf32=False, matmul_tf32=False, benchmark=False)),
        ("defaults + cudnn.benchmark", dict(conv_tf32=True, matmul_tf32=False, benchmark=True)),
    ]
    for setting, s in settings:
        torch.backends.cudnn.allow_tf32 = s["conv_tf32"]
        torch.backends.cuda.matmul.allow_tf32 = s["matmul_tf32"]
        torch.backends.cudnn.benchmark = s["benchmark"]
        if dev.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(dev)
        run(args, dev, setting)


if __name__ == "__main__":
    main()
