#!/usr/bin/python3
"""PyTorch's own float32 error on CycleGAN's networks: the yardstick of models/cyclegan's precision
test and of `zebra-bench check`.

Builds the official ResnetGenerator (ngf 64, 9 blocks) and 70x70 PatchGAN (ndf 64, 3 layers) of
scripts/golden/cyclegan.py with init_weights' N(0, 0.02) weights and zero biases from a fixed
seed, draws x uniform in [-1, 1] of [1, 3, size, size], and runs one forward D(G(x)) and the
backward of loss = mean((D(G(x)) - 1)^2) (the LSGAN generator loss, here with D's weights
trained too) twice from the same float32 values: in float32 and in float64. It writes the
relative L2 errors ||a32 - a64|| / ||a64|| of

- g_output, d_output: G(x) and D(G(x));
- g_grad, d_grad: all of the network's parameter gradients taken as one vector;
- g_grad_worst, d_grad_worst (and *_name): the worst single weight tensor. Biases are left out
  of the worst: a bias just before an InstanceNorm has a true gradient of 0, so its relative
  error is rounding noise over rounding noise.

to models/cyclegan/testdata/precision_<size>.json (at --size 64 by default; 256 for
`zebra-bench check`). The float32 run uses PyTorch's default CPU convolutions (oneDNN), 2 threads.

    /usr/bin/python3 scripts/golden/precision.py [--size 64|256] [--seed 0] [--out FILE]
"""
import argparse
import copy
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
# The network definitions of the golden script, without running its main part (which writes files).
_golden = os.path.join(HERE, "cyclegan.py")
_nets = {}
exec(compile(open(_golden).read().split("def count(m):")[0], _golden, "exec"), _nets)


def init_weights(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.constant_(m.bias, 0.0)


def relus(*nets):
    """The ReLU and LeakyReLU modules of nets in call order, made out-of-place so that hooks see
    their inputs."""
    out = [m for net in nets for m in net.modules() if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    for m in out:
        m.inplace = False
    return out


def run(G, D, x):
    """G(x), D(G(x)) and the parameter gradients {name: grad} of both after the backward."""
    fake = G(x)
    score = D(fake)
    loss = torch.mean((score - 1) ** 2)
    loss.backward()
    grads = lambda net: {name: p.grad.detach() for name, p in net.named_parameters()}
    return fake.detach(), score.detach(), grads(G), grads(D)


def record_branches(G, D):
    """Hooks that record, in call order, which inputs of each ReLU and LeakyReLU are positive."""
    masks = []
    hooks = [m.register_forward_hook(lambda m, inp, out: masks.append(inp[0].detach() > 0)) for m in relus(G, D)]
    return masks, hooks


def follow_branches(G, D, masks):
    """Hooks that make each ReLU and LeakyReLU take the branch recorded in masks (x where the mask
    is set, 0 or slope·x elsewhere) and count where that is not the branch of its own input."""
    calls, flips = iter(masks), [0]

    def hook(m, inp, out):
        x, mask = inp[0], next(calls)
        flips[0] += int(((x > 0) != mask).sum())
        slope = m.negative_slope if isinstance(m, nn.LeakyReLU) else 0.0
        return x * (mask.to(x.dtype) * (1 - slope) + slope)

    return flips, [m.register_forward_hook(hook) for m in relus(G, D)]


def rel(a, ref):
    return ((a.double() - ref).norm() / ref.norm()).item()


def grad_errors(g32, g64):
    """The aggregate relative L2 error over all tensors, and the worst weight tensor's."""
    diff = sum(((g32[k].double() - g64[k]) ** 2).sum().item() for k in g64)
    norm = sum((g64[k] ** 2).sum().item() for k in g64)
    worst = max((rel(g32[k], g64[k]), k) for k in g64 if g64[k].dim() > 1)
    return (diff / norm) ** 0.5, worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    out = args.out or os.path.join("models", "cyclegan", "testdata", f"precision_{args.size}.json")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    G32, D32 = _nets["ResnetGenerator"](64, 9), _nets["NLayerDiscriminator"](64, 3)
    init_weights(G32)
    init_weights(D32)
    x = torch.rand(1, 3, args.size, args.size) * 2 - 1
    G64, D64 = copy.deepcopy(G32).double(), copy.deepcopy(D32).double()
    Gm, Dm = copy.deepcopy(G64), copy.deepcopy(D64)
    masks, hooks = record_branches(G32, D32)
    r32 = run(G32, D32, x)
    r64 = run(G64, D64, x.double())
    flips, _ = follow_branches(Gm, Dm, masks)
    rm = run(Gm, Dm, x.double())

    def errors(ref):
        g_grad, (g_worst, g_name) = grad_errors(r32[2], ref[2])
        d_grad, (d_worst, d_name) = grad_errors(r32[3], ref[3])
        return {"g_output": rel(r32[0], ref[0]), "d_output": rel(r32[1], ref[1]), "g_grad": g_grad, "d_grad": d_grad,
                "g_grad_worst": g_worst, "g_grad_worst_name": g_name, "d_grad_worst": d_worst, "d_grad_worst_name": d_name}

    result = {
        "torch": torch.__version__, "threads": torch.get_num_threads(), "size": args.size, "seed": args.seed,
        "ngf": 64, "blocks": 9, "ndf": 64, "n_layers": 3, "loss": "mean((D(G(x)) - 1)^2)",
        "relu_flips": flips[0], "errors": errors(r64), "errors_same_branches": errors(rm),
    }
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    print("wrote", out, json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
