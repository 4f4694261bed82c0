//go:build !windows

package dynlib

import (
	"errors"
	"runtime"
	"strings"

	"github.com/ebitengine/purego"
)

// dlopen opens path on a locked OS thread: dlerror's message is per thread, and purego reads it
// in a second call that could otherwise run on another thread and find it empty.
func dlopen(path string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil && strings.TrimSpace(err.Error()) == "" {
		err = errors.New("not found by the dynamic linker")
	}
	return h, err
}

func dlsym(handle uintptr, name string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlsym(handle, name)
}
