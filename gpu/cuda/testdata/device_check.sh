#!/bin/sh
# The CUDA check for a session that is lent a GPU machine, in two halves.
#
# Here (no GPU needed), from the repository root:
#     gpu/cuda/testdata/device_check.sh build
# builds CGO_ENABLED=0 test binaries of gpu/cuda and models/cyclegan/cyclegantest (the CycleGAN step
# against the CPU) and zebra-bench into bin/ (ignored by git: give the
# device tool carry ["bin"]).
#
# On the GPU machine, from the repository root (about 2-4 minutes; NVRTC compiles once):
#     gpu/cuda/testdata/device_check.sh run
# lists the devices, runs the conformance suite (cuBLAS and the own GEMM kernel) and the CycleGAN
# step comparison with the CPU, then times the 256x256 training iteration with zebra's CUDA
# backend and with PyTorch in the same run.
set -eu
bin=bin/cuda.test
case "${1:-}" in
build)
	CGO_ENABLED=0 go test -c -o "$bin" ./gpu/cuda
	CGO_ENABLED=0 go test -c -o bin/cyclegantest.test ./models/cyclegan/cyclegantest
	CGO_ENABLED=0 go build -o bin/zebra-bench ./cmd/zebra-bench
	ls -l "$bin" bin/cyclegantest.test bin/zebra-bench
	;;
run)
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
	bin/zebra-bench devices -check || true
	# Test binaries run in their package folder.
	(cd gpu/cuda && ../../bin/cuda.test -test.v -test.run 'Conformance|Unavailable' -test.timeout 300s 2>&1 |
		grep -E '^(=== RUN|--- |\s+---|ok|PASS|FAIL|panic)|cuda_test|host_test|gputest' | grep -v '=== RUN' | tail -80) || true
	(cd models/cyclegan/cyclegantest && ../../../bin/cyclegantest.test -test.v -test.run 'StepMatchesCPU' -test.timeout 300s 2>&1 | tail -40) || true
	(cd gpu/cuda && ../../bin/cuda.test -test.run XXX -test.bench 'Gemm' -test.benchtime 3x -test.timeout 300s) || true
	(cd models/cyclegan/cyclegantest && ../../../bin/cyclegantest.test -test.run XXX -test.bench 'Step/cuda' -test.benchtime 3x -test.timeout 300s) || true
	python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 || true
	;;
*)
	echo "usage: $0 build|run" >&2
	exit 2
	;;
esac
