// Package optim holds zebra's optimizers and learning-rate schedules, PyTorch's torch.optim in Go:
// Adam and SGD update a list of parameters (autograd leaves) in place from their gradients, and
// LambdaLR, CycleGAN's LinearDecayLR, StepLR and CosineAnnealingLR set an optimizer's learning rate
// once per epoch. Both save and restore their whole state as tensors plus string metadata, the
// two things a safetensors checkpoint holds, so a resumed run continues bit for bit.
//
// # Optimizers
//
// An Optimizer is made over a fixed []*autograd.Var. Step reads each parameter's Grad and updates
// its Value in place; a parameter whose Grad is nil is skipped and its state does not advance, as
// in PyTorch. ZeroGrad drops every Grad (PyTorch's set_to_none). Options are structs whose zero
// values mean PyTorch's defaults: AdamOptions{} is torch.optim.Adam(params) (lr 1e-3, betas
// 0.9/0.999, eps 1e-8, no weight decay) and CycleGAN's optimizer is
//
//	optim.NewAdam(params, optim.AdamOptions{LR: 2e-4, Beta1: 0.5})
//
// Adam's update is one fused kernel per parameter (tensor.AdamStep) that follows PyTorch's
// single-tensor formula operation by operation; SGD is built from elementwise tensor ops. Each
// optimizer has one parameter group: to give parameters different rates, make two optimizers.
// Adam's per-parameter state (step, exp_avg, exp_avg_sq) is created at the parameter's first
// step, as PyTorch does, so each parameter counts its own steps.
//
// # Schedules
//
// A Scheduler is made over an optimizer, takes the optimizer's rate as its base rate and sets
// the rate of epoch 0; each Step, called once after an epoch's optimizer steps, moves to the next
// epoch (LastEpoch) and sets its rate, exactly as PyTorch's schedulers. Rates are computed in
// closed form; PyTorch's chainable forms give the same values to within 1e-14. LinearDecayLR is
// the CycleGAN schedule of DESIGN.md: during 0-based epoch e of 100+100 the rate is
// 2e-4 * (1 - max(0, e + 1 - 100) / 101), so the last epoch runs at 2e-4/101, never 0 (see
// LinearDecay for how this relates to the official code's epoch_count).
//
// # State
//
// Optimizer.State returns tensors under keys like those of PyTorch's optimizer state_dict,
// flattened: state.<i>.step, state.<i>.exp_avg, state.<i>.exp_avg_sq for Adam and
// state.<i>.momentum_buffer for SGD, i being the parameter's index in the constructor's list;
// hyper-parameters and the kind ("optimizer": "Adam") are metadata strings, floats in their
// shortest exact form. Scheduler.State is metadata only ("scheduler", "last_epoch", "base_lr" and
// the kind's parameters). LoadState checks a state completely before changing anything: a wrong
// kind, parameter count, unknown or missing key, or a tensor of the wrong shape is an error that
// names the key, and the optimizer or schedule is left as it was. A checkpoint writer typically
// prefixes the keys ("optimizer_G.state.0.exp_avg") to keep several states in one file.
//
// # Checked against PyTorch
//
// testdata/optim_golden.json, written by scripts/golden/optim.py with PyTorch 1.13, holds 10
// steps of torch.optim.Adam (defaults; CycleGAN's lr 2e-4 and betas 0.5/0.999, with and without
// weight decay and with parameters that miss gradients; a large-rate case; and a float64 run) and
// of torch.optim.SGD (plain, momentum, Nesterov, dampening, weight decay), and the rate of 200
// epochs of LambdaLR with CycleGAN's rule, StepLR and CosineAnnealingLR. The tests compare every
// step. Tolerances: float64 1e-12 relative; float32 2e-6 relative plus 1e-6 of the quantity's
// magnitude (a few float32 ulps, from fused multiply-adds and scalar rounding that differ between
// the two implementations); schedules 1e-12 of the base rate.
package optim
