# zebra: a deep learning framework in pure Go. `make demo` and `make test` are the quick start.

GO       ?= go
PKGS     := ./...
# Debian's python3-torch lives in the system interpreter (golden-value generators only; CI never needs it).
PYTHON   ?= /usr/bin/python3

.PHONY: all build test vet fmt-check bench demo demo-images golden asm clean

all: build test

build:
	CGO_ENABLED=0 $(GO) build $(PKGS)

vet:
	CGO_ENABLED=0 $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The tests: a pure-Go build, vet, formatting, then every package's tests.
test: build vet fmt-check
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 20m $(PKGS)

# Long benchmarks: GEMM against the measured peak, every convolution direct and Winograd, generator
# inference, then the Go micro-benchmarks.
bench:
	$(GO) run ./cmd/zebra-bench gemm
	$(GO) run ./cmd/zebra-bench conv
	$(GO) run ./cmd/zebra-bench translate
	$(GO) test -run '^$$' -bench . -benchtime 3x ./internal/... ./tensor/...

# The main job on the bundled default, in two parts.
# 1. The bundled pretrained generator (data/pretrained, trained by zebra on the full horse2zebra set
#    at 64x64: see data/pretrained/README.md) translates the 4 bundled test horses, scaled to 96
#    pixels, the scale it was trained at: runs/demo/pretrained/index.html. Seconds.
# 2. A small CycleGAN (ngf 16, 3 residual blocks, 64x64 crops) trains from scratch on the bundled
#    24+24 images of data/demo/horse2zebra for 30 epochs (720 iterations, a few minutes on 2 cores),
#    then translates the same 4 horses. Open runs/demo/index.html (samples, loss.png) and
#    runs/demo/translated/index.html.
demo:
	rm -rf runs/demo
	CGO_ENABLED=0 $(GO) build -o bin/cyclegan ./cmd/cyclegan
	bin/cyclegan translate -checkpoint data/pretrained/horse2zebra-small.safetensors -resize 96 \
		-out runs/demo/pretrained data/demo/horse2zebra/testA
	bin/cyclegan train -dataroot data/demo/horse2zebra -runs runs -name demo \
		-ngf 16 -ndf 16 -blocks 3 -load-size 72 -crop-size 64 -epochs 15 -decay-epochs 15 -save-every 0
	bin/cyclegan translate -checkpoint runs/demo/checkpoints/latest.safetensors \
		-out runs/demo/translated data/demo/horse2zebra/testA

# The README's two pictures, from what make demo wrote (input beside output, four pairs).
demo-images:
	mkdir -p docs/images
	$(GO) run ./internal/tools/sheet -cols 4 -height 128 -o docs/images/pretrained.png \
		$$(for f in runs/demo/pretrained/*_real.png; do echo $$f $${f%_real.png}_fake.png; done)
	$(GO) run ./internal/tools/sheet -cols 4 -height 128 -o docs/images/demo.png \
		$$(for f in runs/demo/translated/*_real.png; do echo $$f $${f%_real.png}_fake.png; done)

# Regenerate the assembly of internal/gemm, internal/vec and internal/winograd from their avo generators in _asm/
# (a module of its own, so that avo is not a dependency of zebra). The output is committed.
asm:
	cd _asm && $(GO) generate ./...

# Regenerate the PyTorch golden files (needs Debian's python3-torch).
golden:
	@for s in scripts/golden/*.py; do echo "$(PYTHON) $$s"; $(PYTHON) $$s || exit 1; done

clean:
	rm -rf runs bin
