package cpu

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/cpu"
)

// Level is a rung on the ladder of vector instruction sets that zebra has kernels for.
// Higher levels include everything below them.
type Level int

const (
	// Generic is plain Go: no assembly.
	Generic Level = iota
	// AVX2 is AVX2 with FMA3 (Haswell, Zen and later): 256-bit vectors, 16 registers.
	AVX2
	// AVX512 is AVX-512 Foundation (Skylake-SP, Zen 4 and later): 512-bit vectors, 32 registers.
	AVX512
)

// EnvVar names the environment variable that lowers the active level: one of
// "generic", "avx2" or "avx512". It cannot raise the level above what the CPU supports.
const EnvVar = "ZEBRA_CPU"

// String returns the name that ZEBRA_CPU accepts for l.
func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses a ZEBRA_CPU value.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "generic", "purego", "go":
		return Generic, nil
	case "avx2":
		return AVX2, nil
	case "avx512":
		return AVX512, nil
	}
	return Generic, fmt.Errorf("%s=%q: want generic, avx2 or avx512", EnvVar, s)
}

// Has reports whether the processor and the operating system support level l. x/sys/cpu checks
// XCR0 too, so a CPU whose OS does not save the vector registers reports false.
func Has(l Level) bool {
	switch l {
	case Generic:
		return true
	case AVX2:
		return cpu.X86.HasAVX2 && cpu.X86.HasFMA
	case AVX512:
		return Has(AVX2) && cpu.X86.HasAVX512F
	}
	return false
}

// Missing names the CPU feature that keeps level l from running here, or "" if it can run.
func Missing(l Level) string {
	switch {
	case Has(l):
		return ""
	case l == AVX2:
		return "AVX2+FMA3"
	case l == AVX512:
		if !Has(AVX2) {
			return "AVX2+FMA3"
		}
		return "AVX-512F"
	}
	return l.String()
}

// Supported returns the highest level this machine supports.
func Supported() Level {
	for l := AVX512; l > Generic; l-- {
		if Has(l) {
			return l
		}
	}
	return Generic
}

var active struct {
	once  sync.Once
	level Level
	note  string
}

// Active returns the level kernels should use: Supported, lowered by ZEBRA_CPU when it is set.
// A ZEBRA_CPU value that is invalid or asks for more than the CPU has is ignored in the
// lowering direction only, and Note says so.
func Active() Level {
	active.once.Do(func() {
		active.level = Supported()
		s, ok := os.LookupEnv(EnvVar)
		if !ok || s == "" {
			return
		}
		want, err := ParseLevel(s)
		switch {
		case err != nil:
			active.note = err.Error() + "; using " + active.level.String()
		case want > active.level:
			active.note = fmt.Sprintf("%s=%s but this CPU lacks %s; using %s",
				EnvVar, want, Missing(want), active.level)
		default:
			active.level = want
		}
	})
	return active.level
}

// Note explains why ZEBRA_CPU was not honoured, or returns "" when it was (or is unset).
func Note() string {
	Active()
	return active.note
}

// A kernel family (internal/gemm, internal/winograd, internal/shiftconv) keeps its
// implementations in a list, best first, each needing a Level and having a name; these choose
// from such a list.

// Best returns the first of impls, ordered best first, whose level this CPU has and Active
// allows, or fallback when none is.
func Best[T any](impls []T, level func(T) Level, fallback T) T {
	for _, p := range impls {
		if l := level(p); l <= Active() && Has(l) {
			return p
		}
	}
	return fallback
}

// Runnable returns the impls whose level this CPU can run, in their order, including those that
// ZEBRA_CPU keeps from being active (tests and tools may still run them by name).
func Runnable[T any](impls []T, level func(T) Level) []T {
	var out []T
	for _, p := range impls {
		if Has(level(p)) {
			out = append(out, p)
		}
	}
	return out
}

// Names returns the names of the Runnable impls, best first: what a kernel family's Paths
// reports.
func Names[T any](impls []T, level func(T) Level, name func(T) string) []string {
	var names []string
	for _, p := range Runnable(impls, level) {
		names = append(names, name(p))
	}
	return names
}

// Find returns the impl called want if this CPU can run it (whatever ZEBRA_CPU says: tests and
// tools pick paths by name), and whether there is one.
func Find[T any](impls []T, level func(T) Level, name func(T) string, want string) (T, bool) {
	for _, p := range impls {
		if name(p) == want && Has(level(p)) {
			return p, true
		}
	}
	var none T
	return none, false
}

// MustFind is Find for a kernel family's SetPath: it panics, naming the family (pkg) and the
// paths there are, where this CPU cannot run the one called want.
func MustFind[T any](pkg string, impls []T, level func(T) Level, name func(T) string, want string) T {
	p, ok := Find(impls, level, name, want)
	if !ok {
		panic(fmt.Sprintf("%s: SetPath: path %q is not available on this CPU (have %v)", pkg, want, Names(impls, level, name)))
	}
	return p
}
