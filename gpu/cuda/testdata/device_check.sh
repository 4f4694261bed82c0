#!/bin/bash
# The CUDA check for a session that is lent a GPU machine. Build here (no GPU needed), from the
# repository root:
#     gpu/cuda/testdata/device_check.sh build
# which puts CGO_ENABLED=0 binaries into bin/ (ignored by git; give the device tool carry ["bin"]):
# the test binaries of gpu/cuda and models/cyclegan/cyclegantest (the CycleGAN step against the
# CPU), zebra-bench and cyclegan. Then, on the GPU machine, from the repository root:
#     gpu/cuda/testdata/device_check.sh run       # everything below, about 3 minutes
#     gpu/cuda/testdata/device_check.sh compare   # only the timings against PyTorch
#     gpu/cuda/testdata/device_check.sh profile   # a CPU profile and trace of the host side
# run lists the devices and where the CUDA libraries are, compares a CycleGAN step on the GPU with
# the CPU, runs the conformance suite (cuBLAS and the own GEMM kernel), times the 256x256
# training iteration with zebra's CUDA backend (float32 and -tf32, the first round with the GPU
# time of every kernel) and with PyTorch + cuDNN (defaults, float32, cudnn.benchmark), alternating,
# with the peak GPU memory of each, benchmarks the GEMMs, and trains make demo's model on the GPU
# through the cyclegan command. Where bin/zebra-bench-before exists (zebra-bench built from an
# earlier commit), every zebra timing is followed by the same with it, to measure a change.
#
# Every part has its own time limit, and a failing part does not stop the others; the summary at
# the end says how each ended. The device tool brings back at most 8 files: everything printed
# goes to $OUT/device_check.log (or /tmp/device_check), besides the full conformance log, nvidia-smi's
# memory samples and, for profile, the profile and trace.
set -u
out=${OUT:-/tmp/device_check}
summary=()

# part NAME SECONDS COMMAND...: runs COMMAND with a time limit and notes how it ended.
part() {
	local name=$1 limit=$2
	shift 2
	echo "=== $name ($(date +%T), limit ${limit}s)"
	local start=$SECONDS
	timeout -k 5 "$limit" "$@" 2>&1
	local rc=$?
	summary+=("$(printf '%-16s rc %3d  %4ds' "$name" "$rc" $((SECONDS - start)))")
}

# train BIN FLAGS...: zebra's 256x256 step on cuda:0, the table row and the device lines.
train() {
	local bin=$1
	shift
	echo "--- $bin $*"
	"$bin" train -device cuda -sizes 256 -warmup 2 -iters 20 "$@" | grep -v '^GFLOP counts\|^CycleGAN\|  size '
}

# zebra FLAGS...: train with bin/zebra-bench, then with bin/zebra-bench-before if there is one.
zebra() {
	train bin/zebra-bench "$@"
	if [ -x bin/zebra-bench-before ]; then train bin/zebra-bench-before "$@"; fi
}

torch() { PYTHONUNBUFFERED=1 python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 --iters 20 --warmup 3; }

# sampled FILE COMMAND...: runs COMMAND while nvidia-smi samples the device memory in use (the
# whole process, CUDA context included) into FILE, and prints the most it saw.
sampled() {
	local file=$1
	shift
	nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$file" 2>/dev/null &
	local smi=$!
	"$@"
	local rc=$?
	kill $smi 2>/dev/null
	wait $smi 2>/dev/null
	echo "nvidia-smi: at most $(sort -n "$file" | tail -1) MiB of device memory in use while it ran"
	return $rc
}

compare() {
	part zebra 150 "$0" _sampled "$out/smi-zebra.csv" "$0" _zebra -kernel-times
	part zebra-tf32 150 "$0" _zebra -tf32 -kernel-times
	part torch 150 "$0" _sampled "$out/smi-torch.csv" "$0" _torch
	part zebra-again 100 "$0" _zebra
	part zebra-tf32-again 100 "$0" _zebra -tf32
	part torch-again 150 "$0" _torch
}

summarize() {
	echo "=== summary"
	printf '%s\n' "${summary[@]}"
	grep -h -E '^--- bin|^ +256 |peak device memory|kernels .* ms of|ms median|^PyTorch|^nvidia-smi|^--- FAIL|passed|^step |^ok|^FAIL' "$out/device_check.log" |
		grep -v 'launches per iteration'
}

case "${1:-}" in
build)
	set -e
	# -s -w: no symbol table or DWARF (the runtime keeps what profiles need), for the 64 MiB the
	# device tool carries.
	CGO_ENABLED=0 go test -c -ldflags=-s\ -w -o bin/cuda.test ./gpu/cuda
	CGO_ENABLED=0 go test -c -ldflags=-s\ -w -o bin/cyclegantest.test ./models/cyclegan/cyclegantest
	CGO_ENABLED=0 go build -ldflags="-s -w" -o bin/zebra-bench ./cmd/zebra-bench
	CGO_ENABLED=0 go build -ldflags="-s -w" -o bin/cyclegan ./cmd/cyclegan
	ls -l bin/
	;;
run)
	mkdir -p "$out"
	{
		part machine 30 "$0" _machine
		part devices 90 bin/zebra-bench devices -check
		part step 120 "$0" _step
		part conformance 200 "$0" _conformance "$out/conformance-full.log"
		compare
		part gemm 60 "$0" _gemm
		part demo 150 "$0" _demo
		summarize
	} 2>&1 | tee "$out/device_check.log"
	;;
compare)
	mkdir -p "$out"
	{
		compare
		summarize
	} 2>&1 | tee "$out/device_check.log"
	;;
profile)
	mkdir -p "$out"
	{
		part profile 100 "$0" _sampled "$out/smi-zebra.csv" bin/zebra-bench train -device cuda -sizes 256 -warmup 2 -iters 30 -cpuprofile "$out/zebra256.pprof"
		part trace 60 bin/zebra-bench train -device cuda -sizes 256 -warmup 2 -iters 3 -trace "$out/zebra256.trace"
		echo "read them here: go tool pprof -top bin/zebra-bench \$OUT/zebra256.pprof; go tool trace \$OUT/zebra256.trace"
		summarize
	} 2>&1 | tee "$out/device_check.log"
	;;

# The parts that are more than one command (timeout runs programs, not shell functions). Test
# binaries run in their package folder.
_zebra)
	shift
	zebra "$@"
	;;
_torch)
	torch
	;;
_sampled)
	shift
	sampled "$@"
	;;
_machine)
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
	grep -m1 'model name' /proc/cpuinfo
	nproc
	# Where the libraries are, in case zebra's own search misses them.
	find /usr /opt -name 'libnvrtc.so*' -o -name 'libcublas.so*' -o -name 'libnvrtc-builtins.so*' 2>/dev/null | head -20
	ldconfig -p | grep -E 'libcuda.so|libnvrtc|libcublas' | head
	;;
_step)
	cd models/cyclegan/cyclegantest && ../../../bin/cyclegantest.test -test.v -test.run 'StepMatchesCPU/cuda' -test.timeout 110s 2>&1 | tail -5
	exit "${PIPESTATUS[0]}"
	;;
_conformance)
	log=$2
	(cd gpu/cuda && ../../bin/cuda.test -test.v -test.run 'Conformance|Unavailable' -test.timeout 190s) >"$log" 2>&1
	rc=$?
	grep -E '^(--- |\s+--- FAIL|ok|PASS|FAIL|panic)|cuda_test|rror' "$log" | grep -v -- '--- PASS' | tail -40
	echo "$(grep -c -- '--- PASS' "$log") passed"
	exit $rc
	;;
_gemm)
	cd gpu/cuda && exec ../../bin/cuda.test -test.run XXX -test.bench 'Gemm' -test.benchtime 3x -test.timeout 55s
	;;
_demo)
	# make demo's training (fewer epochs) and translation, on the GPU through the command line.
	runs=$(mktemp -d)
	bin/cyclegan train -device cuda -tf32 -dataroot data/demo/horse2zebra -runs "$runs" -name demo \
		-ngf 16 -ndf 16 -blocks 3 -load-size 72 -crop-size 64 -epochs 3 -decay-epochs 3 -save-every 0 -quiet &&
		bin/cyclegan translate -device cuda -checkpoint "$runs/demo/checkpoints/latest.safetensors" \
			-out "$runs/translated" data/demo/horse2zebra/testA &&
		ls "$runs/demo" "$runs/translated" | head -20
	;;
*)
	echo "usage: $0 build|run|compare|profile" >&2
	exit 2
	;;
esac
