package dynlib

import "errors"

// The GPU backends load Linux (and macOS) shared libraries; on Windows every library is simply
// unavailable, so that the module still builds there.
var errWindows = errors.New("zebra's GPU backends do not load libraries on Windows")

func dlopen(string) (uintptr, error) { return 0, errWindows }

func dlsym(uintptr, string) (uintptr, error) { return 0, errWindows }
