// Package mpitest starts programs under mpirun for tests: a test re-runs its own binary (or a
// command's) as several ranks on this machine, with the flags that Open MPI needs for that and
// that MPICH does without.
package mpitest

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Command returns the command that runs prog with args as ranks ranks under the mpirun on PATH,
// with env added to the environment of every rank. It returns exec.ErrNotFound (wrapped) when
// there is no mpirun: the caller skips.
//
// Open MPI refuses more ranks than cores, and root in a container, unless told otherwise, and
// passes on only the variables it is told to (-x); MPICH's Hydra passes the whole environment
// and oversubscribes without asking.
func Command(ctx context.Context, ranks int, env []string, prog string, args ...string) (*exec.Cmd, error) {
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		return nil, err
	}
	version, _ := exec.Command(mpirun, "--version").CombinedOutput()
	mpiArgs := []string{"-np", strconv.Itoa(ranks)}
	if strings.Contains(string(version), "Open MPI") || strings.Contains(string(version), "OpenRTE") {
		mpiArgs = append(mpiArgs, "--oversubscribe")
		env = append(env, "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
		for _, e := range env {
			name, _, _ := strings.Cut(e, "=")
			mpiArgs = append(mpiArgs, "-x", name)
		}
	}
	cmd := exec.CommandContext(ctx, mpirun, append(append(mpiArgs, prog), args...)...)
	cmd.Env = append(os.Environ(), env...)
	return cmd, nil
}
