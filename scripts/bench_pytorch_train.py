#!/usr/bin/python3
"""Times one CycleGAN training iteration in PyTorch, the side-by-side for `zebra-bench train`.

The step is the official one (junyanz/pytorch-CycleGAN-and-pix2pix, models/cycle_gan_model.py:
optimize_parameters): forward both cycles, generator step with the discriminators frozen (LSGAN +
cycle L1 x10 + identity L1 x5), then the discriminator step 0.5*(MSE(D(real),1) + MSE(D(pool(fake)),0))
on detached fakes from a pool of 50, one Adam (2e-4, betas 0.5/0.999) per pair. The networks are
rebuilt from scripts/golden/cyclegan.py (the official ResnetGenerator and NLayerDiscriminator with
InstanceNorm). Batch 1, random images, 2 threads (PyTorch 1.13 defaults to 1 here).

Prints, per size: seconds per iteration after warm-up, GFLOP per iteration by the same analytic
count as `zebra-bench train` (convolutions only, 2 FLOP per multiply-add), GFLOP/s and the process's
peak RSS so far (sizes run in the order given).

    /usr/bin/python3 scripts/bench_pytorch_train.py [--sizes 128,256] [--iters 3] [--warmup 1]
    /usr/bin/python3 scripts/bench_pytorch_train.py --sizes 64 --ngf 16 --ndf 16 --blocks 3 --iters 30   # make demo's model

Install libopenblas0-pthread beside python3-torch: Debian's torch is built against the generic BLAS
interface, and with the reference libblas3 alone its ConvTranspose2d (which PyTorch 1.13 runs on
its BLAS-based slow path on CPU) makes a 256x256 step about 3x slower (40 s instead of 13 s on a
2-core Zen 4). The script warns when the reference BLAS is the one loaded.
"""
import argparse
import importlib.util
import itertools
import os
import random
import resource
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
# Import the network definitions of the golden script without running its main part.
_spec = importlib.util.spec_from_file_location("cyclegan_nets", os.path.join(HERE, "golden", "cyclegan.py"))
_src = open(_spec.origin).read().split("def count(m):")[0]
nets = {}
exec(compile(_src, _spec.origin, "exec"), nets)
ResnetGenerator, NLayerDiscriminator = nets["ResnetGenerator"], nets["NLayerDiscriminator"]


def init_weights(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.constant_(m.bias, 0.0)


class ImagePool:
    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, image):
        image = image.data
        if len(self.images) < self.size:
            self.images.append(image)
            return image
        if random.uniform(0, 1) > 0.5:
            i = random.randint(0, self.size - 1)
            old = self.images[i].clone()
            self.images[i] = image
            return old
        return image


def conv_macs(net, size):
    """Multiply-adds of each convolution of net on a [1, 3, size, size] input, in call order."""
    macs = []

    def hook(m, inp, out):
        x = inp[0]
        if isinstance(m, nn.ConvTranspose2d):
            macs.append(m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1] * x.shape[2] * x.shape[3])
        else:
            macs.append(m.in_channels * m.out_channels * m.kernel_size[0] * m.kernel_size[1] * out.shape[2] * out.shape[3])

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return macs


def step_flops(G, D, size):
    """The count of zebra-bench train (cmd/zebra-bench/train.go, trainingStepFLOPs)."""
    g, d = conv_macs(G, size), conv_macs(D, size)
    g_all, g_no_first = sum(g), sum(g[1:])
    d_all, d_no_first = sum(d), sum(d[1:])
    macs = 6 * g_all + 6 * g_all + 2 * g_all + 4 * g_no_first
    macs += 2 * d_all + 2 * d_all
    macs += 4 * d_all + 4 * d_all + 4 * d_no_first
    return 2 * macs


def warn_reference_blas():
    """Warns on stderr when libblas.so.3 resolves to the reference (netlib) BLAS."""
    for path in ("/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/aarch64-linux-gnu/libblas.so.3"):
        if os.path.exists(path):
            real = os.path.realpath(path)
            if "openblas" not in real and "blis" not in real and "mkl" not in real:
                print(f"warning: {path} is {real}, the reference BLAS: PyTorch's BLAS-based paths "
                      "will be several times slower (apt-get install libopenblas0-pthread)", file=sys.stderr)
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="128,256")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--ngf", type=int, default=64, help="generator filters (make demo's model: 16)")
    ap.add_argument("--ndf", type=int, default=64, help="discriminator filters (make demo's model: 16)")
    args = ap.parse_args()
    warn_reference_blas()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    print(f"PyTorch {torch.__version__} CycleGAN training step, batch 1, ngf {args.ngf}, ndf {args.ndf}, {args.blocks} blocks, "
          f"{torch.get_num_threads()} threads, {args.warmup} warm-up + {args.iters} timed iterations")
    print(f"{'size':>6} {'s/iter':>12} {'GFLOP/iter':>12} {'GFLOP/s':>10} {'peak RSS':>14}")
    for size in [int(s) for s in args.sizes.split(",")]:
        G_A, G_B = ResnetGenerator(args.ngf, args.blocks), ResnetGenerator(args.ngf, args.blocks)
        D_A, D_B = NLayerDiscriminator(args.ndf, 3), NLayerDiscriminator(args.ndf, 3)
        for n in (G_A, G_B, D_A, D_B):
            init_weights(n)
        flops = step_flops(G_A, D_A, size)
        opt_G = torch.optim.Adam(itertools.chain(G_A.parameters(), G_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
        opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
        pool_A, pool_B = ImagePool(50), ImagePool(50)
        mse, l1 = nn.MSELoss(), nn.L1Loss()

        def gan(pred, real):
            return mse(pred, torch.full_like(pred, 1.0 if real else 0.0))

        def step():
            real_A = torch.rand(1, 3, size, size) * 2 - 1
            real_B = torch.rand(1, 3, size, size) * 2 - 1
            fake_B = G_A(real_A)
            rec_A = G_B(fake_B)
            fake_A = G_B(real_B)
            rec_B = G_A(fake_A)
            for p in itertools.chain(D_A.parameters(), D_B.parameters()):
                p.requires_grad = False
            opt_G.zero_grad()
            idt_A = G_A(real_B)
            idt_B = G_B(real_A)
            loss_G = (gan(D_A(fake_B), True) + gan(D_B(fake_A), True) + l1(rec_A, real_A) * 10 + l1(rec_B, real_B) * 10
                      + l1(idt_A, real_B) * 5 + l1(idt_B, real_A) * 5)
            loss_G.backward()
            opt_G.step()
            for p in itertools.chain(D_A.parameters(), D_B.parameters()):
                p.requires_grad = True
            opt_D.zero_grad()
            for D, real, fake in ((D_A, real_B, pool_B.query(fake_B)), (D_B, real_A, pool_A.query(fake_A))):
                loss_D = (gan(D(real), True) + gan(D(fake.detach()), False)) * 0.5
                loss_D.backward()
            opt_D.step()

        for _ in range(args.warmup):
            step()
        start = time.perf_counter()
        for _ in range(args.iters):
            step()
        per_iter = (time.perf_counter() - start) / args.iters
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(f"{size:>6} {per_iter:>12.3f} {flops / 1e9:>12.1f} {flops / per_iter / 1e9:>10.1f} {rss / 1e9:>11.2f} GB", flush=True)


if __name__ == "__main__":
    main()
