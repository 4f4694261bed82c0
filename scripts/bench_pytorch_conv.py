#!/usr/bin/python3
"""Times every distinct convolution of CycleGAN in PyTorch, pass by pass: the side-by-side for
`zebra-bench conv`.

The layers are those of the official ResnetGenerator (ngf 64, 9 blocks) and 70x70 PatchGAN
(ndf 64, 3 layers) on a batch-1 input of --size (256), found with forward hooks on the networks
of scripts/golden/cyclegan.py; identical convolutions (the 18 of the residual blocks) are timed
once under the state_dict name of the first. Each is timed in float32 for the three passes that
training runs, as autograd runs them: the forward (F.conv2d or F.conv_transpose2d, with bias),
and aten.convolution_backward with output_mask (True, False, False) for the input gradient and
(False, True, False) for the weight gradient (what torch.nn.grad.conv2d_input/conv2d_weight
call). A sample repeats a pass until it has run --min-ms; the figure is the median over --rounds
rounds, each round visiting every layer and pass once (so that a load that comes and goes on a
shared machine falls on all of them). 2 threads, as zebra-bench on the 2-core machines.

Writes JSON (--out, default pytorch_conv.json) for `zebra-bench conv -pytorch FILE`:

    {"torch": "1.13.0", "threads": 2, "size": 256, "rounds": 7,
     "layers": {"G.model.1": {"forward_ms": ..., "input_grad_ms": ..., "weight_grad_ms": ...}, ...}}

and prints the same table.

    /usr/bin/python3 scripts/bench_pytorch_conv.py [--size 256] [--rounds 7] [--out pytorch_conv.json]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# The network definitions of the golden script, without running its main part (which writes files).
_golden = os.path.join(HERE, "golden", "cyclegan.py")
_nets = {}
exec(compile(open(_golden).read().split("def count(m):")[0], _golden, "exec"), _nets)

PASSES = ("forward_ms", "input_grad_ms", "weight_grad_ms")


def distinct_convs(prefix, net, size):
    """(name, module, input) of each distinct convolution of net on a [1, 3, size, size] input."""
    seen, out = set(), []
    names = {m: name for name, m in net.named_modules()}

    def hook(m, inp, _):
        x = inp[0]
        key = (type(m).__name__, m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
               getattr(m, "output_padding", None), tuple(x.shape))
        if key not in seen:
            seen.add(key)
            out.append((prefix + names[m], m, torch.randn(x.shape)))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return out


def passes(m, x):
    """The three passes of layer m on input x, as functions of no arguments."""
    w, b = m.weight.detach(), m.bias.detach()
    transposed = isinstance(m, nn.ConvTranspose2d)
    if transposed:
        forward = lambda: F.conv_transpose2d(x, w, b, m.stride, m.padding, m.output_padding)
        out_pad = list(m.output_padding)
    else:
        forward = lambda: F.conv2d(x, w, b, m.stride, m.padding, m.dilation)
        out_pad = [0, 0]
    with torch.no_grad():
        gy = torch.randn(forward().shape)

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, list(m.stride), list(m.padding), list(m.dilation),
                                                           transposed, out_pad, 1, mask)

    return {"forward_ms": forward, "input_grad_ms": backward((True, False, False)),
            "weight_grad_ms": backward((False, True, False))}


def macs(m, x):
    """Multiply-adds of one pass: N*Cout*Cin*KH*KW*OH*OW of the convolution (for a transposed one,
    of the convolution it is the adjoint of, whose output is the transposed layer's input)."""
    kh, kw = m.kernel_size
    if isinstance(m, nn.ConvTranspose2d):
        spatial = x.shape[2] * x.shape[3]
    else:
        with torch.no_grad():
            y = m(x)
        spatial = y.shape[2] * y.shape[3]
    return x.shape[0] * m.in_channels * m.out_channels * kh * kw * spatial


def sample(fn, reps):
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - start) / reps * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-ms", type=float, default=10.0, help="repeat a pass within a sample until it has run this long")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="pytorch_conv.json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    G = _nets["ResnetGenerator"](64, 9)
    D = _nets["NLayerDiscriminator"](64, 3)
    layers = distinct_convs("G.", G, args.size) + distinct_convs("D.", D, args.size)
    plans = []
    torch.set_grad_enabled(False)
    for name, m, x in layers:
        for pname, fn in passes(m, x).items():
            once = sample(fn, 1)  # warm-up, and the repetitions that make a sample last --min-ms
            plans.append((name, pname, fn, max(1, int(args.min_ms / max(once, 1e-3)))))
    times = {(name, pname): [] for name, pname, _, _ in plans}
    for _ in range(args.rounds):
        for name, pname, fn, reps in plans:
            times[(name, pname)].append(sample(fn, reps))
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "size": args.size, "rounds": args.rounds, "layers": {}}
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, float32, batch 1, {args.size}x{args.size} input, "
          f"median of {args.rounds} rounds")
    print(f"{'layer':<26} {'forward ms':>12} {'input grad':>12} {'weight grad':>12} {'GFLOP/pass':>11}")
    for name, m, x in layers:
        row = {p: statistics.median(times[(name, p)]) for p in PASSES}
        result["layers"][name] = row
        print(f"{name:<26} {row['forward_ms']:>12.3f} {row['input_grad_ms']:>12.3f} {row['weight_grad_ms']:>12.3f} "
              f"{2 * macs(m, x) / 1e9:>11.3f}")
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
