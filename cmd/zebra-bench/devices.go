package main

import (
	"flag"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/zebra-go/zebra/dist"
	"github.com/zebra-go/zebra/gpu"
	"github.com/zebra-go/zebra/gpu/cuda"
	"github.com/zebra-go/zebra/gpu/opencl"
	"github.com/zebra-go/zebra/internal/cpu"
	"github.com/zebra-go/zebra/internal/gemm"
	"github.com/zebra-go/zebra/tensor"
)

func init() {
	register("devices", "list the CPU, OpenCL and CUDA devices zebra can use, or why there are none", runDevices)
}

func runDevices(args []string) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	check := fs.Bool("check", false, "open each GPU device, compile its kernels and compare a matrix product with the CPU")
	if err := fs.Parse(args); err != nil {
		return err
	}

	fmt.Printf("cpu       %d threads, SIMD level %s, SGEMM path %s (paths here: %v)\n",
		runtime.GOMAXPROCS(0), cpu.Active(), gemm.Path(), gemm.Paths())
	if note := cpu.Note(); note != "" {
		fmt.Printf("          note: %s\n", note)
	}
	fmt.Printf("          convolutions %s (%s=auto|direct|winograd|winograd4)\n", tensor.ConvAlgorithmSetting(), tensor.ConvEnvVar)
	if tensor.ConvAlgorithmSetting() == tensor.ConvAuto {
		fmt.Println("          auto: F(2x2) in training (F(4x4) for input gradients where F(2x2) beats direct), F(4x4) where faster for forward-only (inference) convolutions")
	}
	if note := tensor.ConvNote(); note != "" {
		fmt.Printf("          note: %s\n", note)
	}

	var names []string
	if devs, err := opencl.Devices(); err != nil {
		fmt.Printf("opencl    none: %v\n", err)
	} else {
		for _, d := range devs {
			fmt.Println(d)
			names = append(names, fmt.Sprintf("opencl:%d", d.Index))
		}
	}
	if devs, err := cuda.Devices(); err != nil {
		fmt.Printf("cuda      none: %v\n", err)
	} else {
		for _, d := range devs {
			fmt.Println(d)
			names = append(names, fmt.Sprintf("cuda:%d", d.Index))
		}
	}
	printCommunicators()

	if *check {
		for _, name := range names {
			fmt.Printf("%-9s %s\n", name, checkDevice(name))
		}
	}
	return nil
}

// printCommunicators says which MPI and NCCL libraries package dist would use to train on many
// processes, or why there are none, and whether a launcher started this process.
func printCommunicators() {
	if lib, err := dist.FindMPI(); err != nil {
		fmt.Printf("mpi       none: %v\n", err)
	} else {
		launched := "this process was not started by mpirun or srun: one rank"
		if v, ok := dist.Launcher(); ok {
			launched = "started by a launcher (" + v + ")"
		}
		fmt.Printf("mpi       %s; %s\n", lib, launched)
	}
	if path, version, err := dist.FindNCCL(); err != nil {
		fmt.Printf("nccl      none: %v\n", err)
	} else {
		fmt.Printf("nccl      %s (%s)\n", version, path)
	}
}

// checkDevice opens a device, compiles its float32 kernels and runs one matrix product, returning
// a line that says how that went.
func checkDevice(name string) string {
	b, err := gpu.Open(name)
	if err != nil {
		return "cannot open: " + err.Error()
	}
	start := time.Now()
	if c, ok := b.(tensor.Compiler); ok {
		if err := c.Compile(tensor.Float32); err != nil {
			return "kernels do not compile: " + err.Error()
		}
	}
	compile := time.Since(start)
	rng := tensor.NewRNG(1)
	x := tensor.Uniform(rng, tensor.Float32, -1, 1, 200, 300)
	y := tensor.Uniform(rng, tensor.Float32, -1, 1, 300, 100)
	want := tensor.Matmul(x, y).Float32s()
	got := tensor.Matmul(x.To(b), y.To(b)).Float32s()
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	extra := ""
	if c, ok := b.(*cuda.Backend); ok {
		extra = fmt.Sprintf(", cuBLAS %v", c.UsesCUBLAS())
	}
	status := "ok"
	if worst > 1e-3 || math.IsNaN(worst) {
		status = "WRONG"
	}
	return fmt.Sprintf("%s: kernels ready in %v, 200x300x100 matmul max |gpu-cpu| = %.2g%s", status, compile.Round(time.Millisecond), worst, extra)
}
