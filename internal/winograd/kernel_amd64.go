//go:build amd64 && !purego

package winograd

// asmPaths returns no paths yet.
func asmPaths() []*path { return nil }
