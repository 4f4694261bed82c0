#!/bin/bash
# Profiles zebra's 256x256 CUDA training step on a lent GPU machine (after device_check.sh build):
# a CPU profile and an execution trace of the host, and the GPU's utilization while it trains,
# into $OUT (at most 8 files come back from the device tool). Read them here with
#     go tool pprof -top bin/zebra-bench $OUT/zebra256.pprof
#     go tool trace $OUT/zebra256.trace
set -u
out=${OUT:-/tmp/profile_step}
mkdir -p "$out"
bin=${1:-bin/zebra-bench}
{
	nvidia-smi dmon -s u -d 1 >"$out/dmon-zebra.txt" 2>&1 &
	dmon=$!
	timeout 100 "$bin" train -device cuda -sizes 256 -warmup 2 -iters 30 -cpuprofile "$out/zebra256.pprof"
	kill $dmon
	timeout 60 "$bin" train -device cuda -sizes 256 -warmup 2 -iters 3 -trace "$out/zebra256.trace"
	nvidia-smi dmon -s u -d 1 >"$out/dmon-torch.txt" 2>&1 &
	dmon=$!
	PYTHONUNBUFFERED=1 timeout 100 python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 --iters 30 --warmup 3
	kill $dmon
	echo "GPU utilization while zebra trained (sm %):"
	cat "$out/dmon-zebra.txt"
	echo "while PyTorch trained:"
	cat "$out/dmon-torch.txt"
	ls -l "$out"
} 2>&1 | tee "$out/profile.log"
