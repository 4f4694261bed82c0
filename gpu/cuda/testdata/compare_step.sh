#!/bin/bash
# Times zebra's 256x256 CUDA training step against PyTorch's on a lent GPU machine, alternating
# the two (after device_check.sh build): zebra in float32 and with -tf32, each once with the
# GPU time of every kernel listed (-kernel-times), PyTorch in its three settings; then the
# CycleGAN step against the CPU and the conformance suite, which the kernels must still pass.
# Everything goes to $OUT/compare.log as well.
set -u
out=${OUT:-/tmp/compare_step}
mkdir -p "$out"
train() { timeout 120 bin/zebra-bench train -device cuda -sizes 256 -warmup 2 -iters 20 "$@" | grep -v 'launches per iteration by kernel\|^GFLOP counts'; }
torch() { PYTHONUNBUFFERED=1 timeout 150 python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 --iters 20 --warmup 3; }
{
	train -kernel-times
	train -tf32 -kernel-times
	torch
	train
	train -tf32
	torch
	(cd models/cyclegan/cyclegantest && timeout 120 ../../../bin/cyclegantest.test -test.run 'StepMatchesCPU/cuda' -test.v 2>&1 | tail -4)
	(cd gpu/cuda && timeout 150 ../../bin/cuda.test -test.run 'Conformance' 2>&1 | grep -E -- '--- FAIL|rror|^ok|^FAIL|^PASS' | head -40)
} 2>&1 | tee "$out/compare.log"
