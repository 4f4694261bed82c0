package gputest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/zebra-go/zebra/tensor"
)

// Upload stores v in s, converting to s's dtype.
func Upload(b tensor.Backend, s tensor.Storage, v []float64) {
	if s.DType() == tensor.Float64 {
		b.Upload(s, v)
		return
	}
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	b.Upload(s, f)
}

// Download returns s's elements as float64.
func Download(b tensor.Backend, s tensor.Storage) []float64 {
	if s.DType() == tensor.Float64 {
		v := make([]float64, s.Len())
		b.Download(v, s)
		return v
	}
	f := make([]float32, s.Len())
	b.Download(f, s)
	v := make([]float64, len(f))
	for i, x := range f {
		v[i] = float64(x)
	}
	return v
}

// childEnv marks a test binary started by RunChild.
const childEnv = "ZEBRA_GPU_TEST_CHILD"

// IsChild reports whether this test binary was started by RunChild: the test should then do its
// work and print what the parent checks, instead of starting another child.
func IsChild() bool { return os.Getenv(childEnv) == "1" }

// RunChild runs test (a test function name) in a fresh process of this test binary with the extra
// environment and returns its output. GPU libraries are loaded once per process, so every
// "the library is not there" situation needs its own.
func RunChild(t *testing.T, test string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process of %s: %v\n%s", test, err, out)
	}
	return string(out)
}
