package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/zebra-go/zebra/internal/cpu"
	"github.com/zebra-go/zebra/internal/gemm"
)

// Version describes the running binary, one "key: value" line each, for a bug report:
//
//	cyclegan (devel)
//	  revision: 40c66f2b3c0e... (modified), 2026-12-03T15:40:01Z
//	  go:       go1.26.8 linux/amd64
//	  simd:     avx2
//
// The module version and the revision come from the build information that the go command
// stamps into the binary: "go build" in a git checkout records the commit and whether the tree
// had uncommitted changes; "go run" and "go test" binaries have no revision. The SIMD path is the
// one the matrix products run on (internal/gemm), after ZEBRA_CPU.
func Version(program string) string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(program, info, gemm.Path(), cpu.Note())
}

// formatVersion is Version with its inputs given, for the test.
func formatVersion(program string, info *debug.BuildInfo, simd, simdNote string) string {
	version, revision := "unknown", "unknown (not stamped: go run, go test and -buildvcs=false leave it out)"
	goVersion := runtime.Version()
	if info != nil {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if r := settings["vcs.revision"]; r != "" {
			revision = r
			if settings["vcs.modified"] == "true" {
				revision += " (modified)"
			}
			if t := settings["vcs.time"]; t != "" {
				revision += ", " + t
			}
		}
	}
	if simdNote != "" {
		simd += " (" + simdNote + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", program, version)
	fmt.Fprintf(&b, "  revision: %s\n", revision)
	fmt.Fprintf(&b, "  go:       %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "  simd:     %s\n", simd)
	return b.String()
}
