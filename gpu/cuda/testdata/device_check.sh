#!/bin/sh
# The CUDA check for a session that is lent a GPU machine, in two halves.
#
# Here (no GPU needed), from the repository root:
#     gpu/cuda/testdata/device_check.sh build
# builds a CGO_ENABLED=0 test binary of gpu/cuda and zbench into bin/ (ignored by git: give the
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
	CGO_ENABLED=0 go build -o bin/zbench ./cmd/zbench
	ls -l "$bin" bin/zbench
	;;
run)
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
	bin/zbench devices -check || true
	# Test binaries run in their package folder.
	(cd gpu/cuda && ../../bin/cuda.test -test.v -test.run 'Conformance|CycleGAN|Unavailable' -test.timeout 300s 2>&1 |
		grep -E '^(=== RUN|--- |\s+---|ok|PASS|FAIL|panic)|cuda_test|host_test|gputest' | grep -v '=== RUN' | tail -80) || true
	(cd gpu/cuda && ../../bin/cuda.test -test.run XXX -test.bench 'CycleGANStep256|Gemm' -test.benchtime 3x -test.timeout 300s) || true
	python3 gpu/cuda/testdata/torch_step.py --device cuda --size 256 || true
	;;
*)
	echo "usage: $0 build|run" >&2
	exit 2
	;;
esac
