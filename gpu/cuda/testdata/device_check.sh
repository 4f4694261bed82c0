#!/bin/bash
# The CUDA check for a session that is lent a GPU machine, in two halves.
#
# Here (no GPU needed), from the repository root:
#     gpu/cuda/testdata/device_check.sh build
# builds CGO_ENABLED=0 test binaries of gpu/cuda and models/cyclegan/cyclegantest (the CycleGAN step
# against the CPU) and zebra-bench into bin/ (ignored by git: give the device tool carry ["bin"]).
#
# On the GPU machine, from the repository root (about 4-5 minutes; NVRTC compiles once):
#     gpu/cuda/testdata/device_check.sh run
# lists the devices and where the CUDA libraries are, compares a CycleGAN step on the GPU with the
# CPU, times the 256x256 training iteration with zebra's CUDA backend (with its peak device memory,
# kernel launches per step and a CPU profile of the host) and with PyTorch + cuDNN in the same run,
# then runs the conformance suite (cuBLAS and the own GEMM kernel) and the GEMM benchmark. Every
# part has its own time limit and log under $OUT (or /tmp/device_check), and a failing part does
# not stop the others; the summary at the end says what passed.
set -u
case "${1:-}" in
build)
	set -e
	CGO_ENABLED=0 go test -c -o bin/cuda.test ./gpu/cuda
	CGO_ENABLED=0 go test -c -o bin/cyclegantest.test ./models/cyclegan/cyclegantest
	CGO_ENABLED=0 go build -o bin/zebra-bench ./cmd/zebra-bench
	ls -l bin/cuda.test bin/cyclegantest.test bin/zebra-bench
	;;
run)
	out=${OUT:-/tmp/device_check}
	mkdir -p "$out"
	summary=()
	# part NAME SECONDS COMMAND...: runs COMMAND with a time limit, its output shown and kept in
	# $out/NAME.log, and notes how it ended.
	part() {
		local name=$1 limit=$2
		shift 2
		echo "=== $name ($(date +%T), limit ${limit}s)"
		local start=$SECONDS
		timeout -k 5 "$limit" "$@" 2>&1 | tee "$out/$name.log"
		local rc=${PIPESTATUS[0]}
		summary+=("$(printf '%-12s rc %3d  %4ds' "$name" "$rc" $((SECONDS - start)))")
	}
	part machine 30 "$0" _machine
	part devices 90 bin/zebra-bench devices -check
	if grep -q 'cannot compile kernels\|cannot open NVRTC\|cannot open cuBLAS' "$out/devices.log"; then
		# zebra's own search missed a library the machine has: point the dynamic linker at it.
		dirs=$(find / -xdev \( -name 'libnvrtc.so.1*' -o -name 'libcublas.so.1*' \) -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
		export LD_LIBRARY_PATH="${dirs}${LD_LIBRARY_PATH:-}"
		echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
		part devices-ld 90 bin/zebra-bench devices -check
	fi
	part step 120 "$0" _step
	# Memory as nvidia-smi sees it (the whole process, context included), sampled while zebra and
	# then PyTorch train.
	nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 250 >"$out/smi.csv" 2>&1 &
	smi=$!
	part zebra256 120 bin/zebra-bench train -device cuda -sizes 256 -warmup 2 -iters 10 -cpuprofile "$out/zebra256.pprof"
	if [ -x bin/zebra-bench-fill ]; then # the same step before a change, to measure the change
		part zebra256-before 90 bin/zebra-bench-fill train -device cuda -sizes 256 -warmup 2 -iters 10
	fi
	echo "zebra done $(date +%T.%N)" >>"$out/smi.csv"
	part torch256 120 env PYTHONUNBUFFERED=1 python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 --iters 10 --warmup 3
	kill $smi 2>/dev/null
	part conformance 150 "$0" _conformance "$out/conformance-full.log"
	part gemm 60 "$0" _gemm
	echo "=== summary"
	printf '%s\n' "${summary[@]}"
	for f in "$out"/zebra256*.log; do echo "$(basename "$f")"; grep -h -E '^ +256 |peak device memory' "$f"; done
	grep -h -E 'ms median|PyTorch' "$out/torch256.log" || true
	grep -h -E '^(--- FAIL|ok|FAIL)' "$out/step.log" "$out/conformance-full.log" || true
	awk -F', ' '/zebra done/ {side = 1; next} {m[side] = ($2 + 0 > m[side]) ? $2 + 0 : m[side]}
		END {printf "nvidia-smi, most device memory in use: %d MiB while zebra ran, %d MiB while PyTorch ran\n", m[0], m[1]}' "$out/smi.csv"
	;;
# The parts of run that are more than one command (timeout runs programs, not shell functions).
# Test binaries run in their package folder.
_machine)
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
	grep -m1 'model name' /proc/cpuinfo
	nproc
	# Where the libraries are, in case zebra's own search misses them.
	find /usr /opt -name 'libnvrtc.so*' -o -name 'libcublas.so*' -o -name 'libnvrtc-builtins.so*' 2>/dev/null | head -20
	ldconfig -p | grep -E 'libcuda.so|libnvrtc|libcublas' | head
	;;
_step)
	cd models/cyclegan/cyclegantest && exec ../../../bin/cyclegantest.test -test.v -test.run 'StepMatchesCPU/cuda' -test.timeout 200s
	;;
_conformance)
	log=$2
	(cd gpu/cuda && ../../bin/cuda.test -test.v -test.run 'Conformance|Unavailable' -test.timeout 200s) >"$log" 2>&1
	rc=$?
	grep -E '^(--- |\s+--- FAIL|ok|PASS|FAIL|panic)|cuda_test|rror' "$log" | grep -v -- '--- PASS' | tail -60
	echo "$(grep -c -- '--- PASS' "$log") passed"
	exit $rc
	;;
_gemm)
	cd gpu/cuda && exec ../../bin/cuda.test -test.run XXX -test.bench 'Gemm' -test.benchtime 3x -test.timeout 100s
	;;
*)
	echo "usage: $0 build|run" >&2
	exit 2
	;;
esac
