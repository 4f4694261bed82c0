#!/usr/bin/python3
"""Golden values for the layers of the FID Inception network (nn's BatchNorm2d, MaxPool2d,
AvgPool2d, AdaptiveAvgPool2d and bilinear Upsample), from PyTorch in float64.

For each case it records the input x, the module's settings and parameters, the output y, a
random output gradient grad_y and the gradients of x and of every parameter; BatchNorm2d cases
in training mode also record the running statistics after the forward. It writes
nn/testdata/fid_layers_golden.pth (torch.save of a flat dict of tensors, read in Go by
internal/torchfile) and nn/testdata/fid_layers_golden.json (the cases). The Go test is
nn/fid_layers_golden_test.go.

Run from the repository root with Debian's python3-torch (CI never needs it):

    /usr/bin/python3 scripts/golden/fid_layers.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join("nn", "testdata")
torch.manual_seed(15)
torch.set_default_dtype(torch.float64)

tensors, cases = {}, []


def distinct(*shape):
    """Values at least 0.1 apart in a random order: every window has one maximum."""
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n).double() * 0.1 - 0.05 * n).reshape(shape)


def record(name, kind, settings, module, x, extra_inputs=()):
    x = x.clone().requires_grad_(True)
    for p in module.parameters():
        with torch.no_grad():
            p.copy_(torch.randn_like(p))
    for xi in extra_inputs:  # earlier batches (BatchNorm2d's running statistics)
        module(xi)
    y = module(x)
    grad_y = torch.randn_like(y)
    y.backward(grad_y)
    tensors[f"{name}.x"] = x.detach()
    tensors[f"{name}.y"] = y.detach()
    tensors[f"{name}.grad_y"] = grad_y
    tensors[f"{name}.grad_x"] = x.grad.detach()
    for i, xi in enumerate(extra_inputs):
        tensors[f"{name}.before.{i}"] = xi
    for k, p in module.named_parameters():
        tensors[f"{name}.param.{k}"] = p.detach().clone()
        tensors[f"{name}.grad.{k}"] = p.grad.detach()
    for k, b in module.named_buffers():
        tensors[f"{name}.buffer.{k}"] = b.detach().clone().double()
    cases.append({"name": name, "kind": kind, "before": len(extra_inputs), **settings})


def batch_norm_case(name, shape, training, affine=True, eps=1e-5, momentum=0.1, track=True, before=0):
    m = nn.BatchNorm2d(shape[1], eps=eps, momentum=momentum, affine=affine, track_running_stats=track)
    if track:  # start from random statistics rather than PyTorch's zeros and ones
        with torch.no_grad():
            m.running_mean.copy_(torch.randn(shape[1]))
            m.running_var.copy_(torch.rand(shape[1]) + 0.5)
        tensors[f"{name}.initial.running_mean"] = m.running_mean.clone()
        tensors[f"{name}.initial.running_var"] = m.running_var.clone()
    m.train(training)
    extra = [torch.randn(*shape) * 2 + 1 for _ in range(before)]
    record(name, "batch_norm2d", {"training": training, "affine": affine, "eps": eps,
                                  "momentum": momentum, "track": track, "features": shape[1]},
           m, torch.randn(*shape) * 2 + 1, extra)


def pool_case(name, kind, shape, kernel, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    if kind == "max_pool2d":
        m = nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    else:
        m = nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    record(name, kind, {"kernel": kernel, "stride": stride or 0, "padding": padding, "ceil_mode": ceil_mode,
                        "count_include_pad": count_include_pad}, m, distinct(*shape))


def resize_case(name, kind, shape, size):
    if kind == "adaptive_avg_pool2d":
        m = nn.AdaptiveAvgPool2d(size)
    else:
        m = nn.Upsample(size=size, mode="bilinear", align_corners=False)
    record(name, kind, {"size": list(size)}, m, torch.randn(*shape))


batch_norm_case("bn_train", (3, 4, 5, 5), training=True)
batch_norm_case("bn_train_noaffine_momentum0.3", (2, 3, 4, 3), training=True, affine=False, momentum=0.3, before=1)
batch_norm_case("bn_train_cumulative", (2, 3, 3, 4), training=True, momentum=None, before=2)
batch_norm_case("bn_eval_eps1e-3", (2, 4, 3, 3), training=False, eps=1e-3)
batch_norm_case("bn_eval_noaffine", (2, 3, 3, 2), training=False, affine=False)
batch_norm_case("bn_eval_no_running_stats", (3, 2, 3, 3), training=False, track=False)

pool_case("max_3_s2", "max_pool2d", (2, 3, 7, 9), 3, 2)
pool_case("max_3_s1_p1", "max_pool2d", (1, 2, 5, 6), 3, 1, 1)
pool_case("max_2_ceil", "max_pool2d", (1, 2, 7, 5), 2, ceil_mode=True)
pool_case("max_3_s2_p1_ceil", "max_pool2d", (2, 2, 6, 8), 3, 2, 1, ceil_mode=True)
pool_case("avg_3_s1_p1", "avg_pool2d", (2, 3, 5, 6), 3, 1, 1)
pool_case("avg_3_s1_p1_exclude", "avg_pool2d", (2, 3, 5, 6), 3, 1, 1, count_include_pad=False)
pool_case("avg_3_s2_p1_ceil", "avg_pool2d", (1, 2, 6, 8), 3, 2, 1, ceil_mode=True)
pool_case("avg_3_s2_p1_ceil_exclude", "avg_pool2d", (1, 2, 6, 8), 3, 2, 1, ceil_mode=True, count_include_pad=False)
pool_case("avg_2", "avg_pool2d", (2, 2, 5, 4), 2)

resize_case("adaptive_1x1", "adaptive_avg_pool2d", (2, 3, 8, 8), (1, 1))
resize_case("adaptive_3x2", "adaptive_avg_pool2d", (1, 2, 7, 5), (3, 2))
resize_case("adaptive_up_4x6", "adaptive_avg_pool2d", (1, 2, 3, 4), (4, 6))
resize_case("bilinear_up", "upsample_bilinear", (2, 3, 5, 7), (13, 11))
resize_case("bilinear_down", "upsample_bilinear", (1, 2, 9, 11), (4, 3))
resize_case("bilinear_mixed", "upsample_bilinear", (1, 2, 6, 5), (3, 12))
resize_case("bilinear_299", "upsample_bilinear", (1, 1, 8, 6), (299, 7))

os.makedirs(OUT_DIR, exist_ok=True)
torch.save(tensors, os.path.join(OUT_DIR, "fid_layers_golden.pth"))
with open(os.path.join(OUT_DIR, "fid_layers_golden.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
