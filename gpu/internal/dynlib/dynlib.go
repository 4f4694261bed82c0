package dynlib

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ebitengine/purego"
)

// ErrUnavailable is the sentinel behind gpu.ErrUnavailable: a library, platform or device that is
// not there. Errors that wrap it mean "this machine cannot run this backend", never a bug.
var ErrUnavailable = errors.New("gpu: unavailable")

// PathEnv names the environment variable that, when set, replaces the library search: only the
// folders it lists (separated by ':') are searched, and bare names are not handed to the dynamic
// linker. It serves users with drivers in unusual places, and tests that point the search at an
// empty folder.
const PathEnv = "ZEBRA_GPU_LIBRARY_PATH"

// Lib is an opened shared library.
type Lib struct {
	Path   string // the name or path that opened
	handle uintptr
}

// Open tries each name, first as a bare name (so that the dynamic linker's own search through
// LD_LIBRARY_PATH and ld.so.cache applies) and then in each of dirs, and returns the first that
// opens. what says in words what the library is for the error message ("the OpenCL ICD loader").
func Open(what string, names, dirs []string) (*Lib, error) {
	var candidates []string
	if env, ok := os.LookupEnv(PathEnv); ok {
		for _, dir := range filepath.SplitList(env) {
			for _, name := range names {
				candidates = append(candidates, filepath.Join(dir, name))
			}
		}
	} else {
		candidates = append(candidates, names...)
		for _, dir := range dirs {
			for _, name := range names {
				candidates = append(candidates, filepath.Join(dir, name))
			}
		}
	}
	var reasons []string
	for _, path := range candidates {
		if strings.ContainsRune(path, '/') {
			if _, err := os.Stat(path); err != nil {
				reasons = append(reasons, path+" (not found)")
				continue
			}
		}
		h, err := dlopen(path)
		if err == nil {
			return &Lib{Path: path, handle: h}, nil
		}
		reasons = append(reasons, fmt.Sprintf("%s (%s)", path, err))
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "no candidate paths: "+PathEnv+" is set but empty")
	}
	return nil, fmt.Errorf("%w: cannot open %s; tried %s", ErrUnavailable, what, strings.Join(reasons, ", "))
}

// Func looks symbol name up and binds it to fptr, a pointer to a Go func variable with the C
// function's signature. A missing symbol is an error (purego.RegisterLibFunc would panic), which
// wraps ErrUnavailable: an old driver that lacks an entry point cannot run this backend.
func (l *Lib) Func(fptr any, name string) error {
	sym, err := dlsym(l.handle, name)
	if err != nil || sym == 0 {
		return fmt.Errorf("%w: %s has no symbol %s", ErrUnavailable, l.Path, name)
	}
	purego.RegisterFunc(fptr, sym)
	return nil
}

// Has reports whether the library exports name, for optional entry points.
func (l *Lib) Has(name string) bool {
	sym, err := dlsym(l.handle, name)
	return err == nil && sym != 0
}

// Binder binds many symbols and remembers the first failure, so that a loader reads as a plain list
// of bindings followed by one error check.
type Binder struct {
	Lib *Lib
	Err error
}

// Bind binds fptr to name unless an earlier binding failed.
func (b *Binder) Bind(fptr any, name string) {
	if b.Err == nil {
		b.Err = b.Lib.Func(fptr, name)
	}
}

// CString returns s as a NUL-terminated byte slice that C can read for the duration of a call.
func CString(s string) []byte { return append([]byte(s), 0) }

// GoString converts a NUL-terminated byte buffer filled by C into a Go string.
func GoString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}
