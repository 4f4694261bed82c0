#!/usr/bin/python3
"""Golden values for nn/optim's tests, from torch.optim (Debian's python3-torch 1.13).

Writes nn/optim/testdata/optim_golden.json with three sections:

- "adam": runs of 10 torch.optim.Adam steps (single-tensor path, foreach=False) on two
  parameters of shapes [3, 4] and [5] fed a fixed, seeded gradient sequence. Each case stores
  the initial values, every gradient (null where the parameter had no gradient that step, so
  its state is created late, as PyTorch does), the parameters after every step, and the final
  state (step, exp_avg, exp_avg_sq) of every parameter.
- "sgd": the same for torch.optim.SGD with momentum, dampening, Nesterov and weight decay.
- "schedules": the learning rate during each of 200 epochs (read before the epoch's
  scheduler.step(), i.e. the rate the epoch's optimizer steps use) for LambdaLR with CycleGAN's
  linear-decay rule, StepLR and CosineAnnealingLR.

A fixed gradient sequence rather than a loss keeps errors from feeding back: every step of
zebra is compared against torch on identical inputs. float32 values are written as the exact
decimal of the float32 (Python floats are doubles), so nothing is lost in JSON.

Run from the repository root (CI never needs torch; the output is committed):

    /usr/bin/python3 scripts/golden/optim.py
"""
import json
import os

import torch

OUT = os.path.join("nn", "optim", "testdata", "optim_golden.json")
SHAPES = [[3, 4], [5]]
STEPS = 10


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def gradient_sequence(dtype, seed, missing):
    """STEPS lists of per-parameter gradients; missing is a set of (step, param) left as None.

    The magnitudes vary over several decades per element (1e-4 .. 10) so that both the eps in
    Adam's denominator and large updates are exercised.
    """
    g = torch.Generator().manual_seed(seed)
    scales = [torch.logspace(-4, 1, steps=12, dtype=torch.float64).reshape(3, 4),
              torch.tensor([1e-3, 0.1, 1.0, 3.0, 10.0], dtype=torch.float64)]
    seq = []
    for step in range(STEPS):
        grads = []
        for i, shape in enumerate(SHAPES):
            if (step, i) in missing:
                grads.append(None)
                continue
            r = torch.randn(shape, generator=g, dtype=torch.float64) * scales[i]
            grads.append(r.to(dtype))
        seq.append(grads)
    return seq


def initial_params(dtype, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=g, dtype=torch.float64).to(dtype) for shape in SHAPES]


def run(make_opt, dtype, seed, missing, state_keys):
    params = [torch.nn.Parameter(p.clone()) for p in initial_params(dtype, seed)]
    init = [flat(p) for p in params]
    seq = gradient_sequence(dtype, seed + 1, missing)
    opt = make_opt(params)
    after = []
    for grads in seq:
        for p, gr in zip(params, grads):
            p.grad = None if gr is None else gr.clone()
        opt.step()
        after.append([flat(p) for p in params])
    state = []
    for p in params:
        st = opt.state[p]
        entry = {}
        for k in state_keys:
            v = st.get(k)
            if v is None:
                entry[k] = None
            elif k == "step":
                entry[k] = int(v.item())
            else:
                entry[k] = flat(v)
        state.append(entry)
    return {
        "dtype": "float32" if dtype == torch.float32 else "float64",
        "shapes": SHAPES,
        "init": init,
        "grads": [[None if gr is None else flat(gr) for gr in grads] for grads in seq],
        "params": after,
        "state": state,
    }


def adam_cases():
    cases = []
    specs = [
        ("defaults", {}, torch.float32, set()),
        ("cyclegan", {"lr": 2e-4, "betas": (0.5, 0.999)}, torch.float32, {(0, 1), (1, 1), (2, 1), (6, 0)}),
        ("cyclegan_weight_decay", {"lr": 2e-4, "betas": (0.5, 0.999), "weight_decay": 0.1}, torch.float32, set()),
        ("large_lr_eps", {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.01}, torch.float32, set()),
        ("cyclegan_weight_decay_f64", {"lr": 2e-4, "betas": (0.5, 0.999), "weight_decay": 0.1}, torch.float64,
         {(3, 1)}),
    ]
    for seed, (name, kw, dtype, missing) in enumerate(specs):
        make = lambda ps, kw=kw: torch.optim.Adam(ps, foreach=False, **kw)
        case = run(make, dtype, 100 + 10 * seed, missing, ["step", "exp_avg", "exp_avg_sq"])
        probe = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], **kw).param_groups[0]
        case.update(name=name, lr=probe["lr"], beta1=probe["betas"][0], beta2=probe["betas"][1],
                    eps=probe["eps"], weight_decay=probe["weight_decay"])
        cases.append(case)
    return cases


def sgd_cases():
    cases = []
    specs = [
        ("plain", {"lr": 0.1}, torch.float32, {(2, 0)}),
        ("momentum", {"lr": 0.05, "momentum": 0.9}, torch.float32, {(0, 1), (4, 0)}),
        ("nesterov", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}, torch.float32, set()),
        ("dampening_weight_decay", {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weight_decay": 1e-2},
         torch.float32, set()),
        ("nesterov_f64", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-2}, torch.float64,
         {(1, 1)}),
    ]
    for seed, (name, kw, dtype, missing) in enumerate(specs):
        make = lambda ps, kw=kw: torch.optim.SGD(ps, foreach=False, **kw)
        case = run(make, dtype, 200 + 10 * seed, missing, ["momentum_buffer"])
        group = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], **kw).param_groups[0]
        case.update(name=name, lr=group["lr"], momentum=group["momentum"], dampening=group["dampening"],
                    nesterov=group["nesterov"], weight_decay=group["weight_decay"])
        cases.append(case)
    return cases


def cyclegan_rule(n_epochs, n_epochs_decay, epoch_count=1):
    """The official networks.get_scheduler 'linear' rule, with its default epoch_count of 1."""
    def rule(epoch):
        return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)
    return rule


def schedule_cases():
    specs = [
        ("cyclegan_linear", "LambdaLR", 2e-4, {"n_epochs": 100, "n_epochs_decay": 100},
         lambda o: torch.optim.lr_scheduler.LambdaLR(o, cyclegan_rule(100, 100))),
        ("linear_120_79", "LambdaLR", 1e-3, {"n_epochs": 120, "n_epochs_decay": 79},
         lambda o: torch.optim.lr_scheduler.LambdaLR(o, cyclegan_rule(120, 79))),
        ("step_30", "StepLR", 0.1, {"step_size": 30, "gamma": 0.1},
         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.1)),
        ("step_7", "StepLR", 2e-4, {"step_size": 7, "gamma": 0.8},
         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.8)),
        ("cosine_200", "CosineAnnealingLR", 2e-4, {"t_max": 200, "eta_min": 0.0},
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=200)),
        ("cosine_50_restarts", "CosineAnnealingLR", 0.1, {"t_max": 50, "eta_min": 1e-5},
         lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50, eta_min=1e-5)),
    ]
    cases = []
    for name, kind, base, args, make in specs:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([p], lr=base)
        sched = make(opt)
        lrs = []
        for epoch in range(200):
            lr = opt.param_groups[0]["lr"]
            assert lr == sched.get_last_lr()[0]
            assert sched.last_epoch == epoch
            lrs.append(lr)
            p.grad = torch.zeros(1)
            opt.step()
            sched.step()
        cases.append({"name": name, "kind": kind, "base_lr": base, "args": args, "lrs": lrs})
    return cases


def main():
    torch.manual_seed(0)
    out = {
        "torch_version": torch.__version__,
        "adam": adam_cases(),
        "sgd": sgd_cases(),
        "schedules": schedule_cases(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
