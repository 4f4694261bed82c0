//go:build !amd64 || purego

package shiftconv

// asmPaths returns no paths: this build has no assembly.
func asmPaths() []*path { return nil }
