package gpu

import "github.com/zebra-go/zebra/gpu/internal/dynlib"

// Library is a vendor library opened at run time with purego (see OpenLibrary).
type Library = dynlib.Lib

// LibraryBinder binds many symbols of a Library and keeps the first failure, so that a loader
// reads as a list of bindings followed by one error check.
type LibraryBinder = dynlib.Binder

// OpenLibrary opens a shared library the way the GPU backends open theirs: each of names first
// through the dynamic linker (LD_LIBRARY_PATH, ld.so.cache), then in each of dirs, or only in the
// folders of ZEBRA_GPU_LIBRARY_PATH when that is set. The error wraps ErrUnavailable and names
// every path tried; what says in words what the library is for. It serves the packages outside
// gpu that load vendor libraries too (dist: libmpi and libnccl), so that there is one search and
// one kind of "not there" error in zebra.
func OpenLibrary(what string, names, dirs []string) (*Library, error) {
	return dynlib.Open(what, names, dirs)
}
