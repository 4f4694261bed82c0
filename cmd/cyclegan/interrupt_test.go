package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zebra-go/zebra/internal/cli"
)

// TestInterruptMessageOnlyOnSignal: the "stopping after this step" line appears when a signal
// arrives, and not when training ends normally and the watcher is stopped.
func TestInterruptMessageOnlyOnSignal(t *testing.T) {
	var quiet bytes.Buffer
	ctx, stop := interruptContext(&quiet)
	stop()
	if quiet.Len() != 0 {
		t.Errorf("no signal arrived, yet the watcher printed %q", quiet.String())
	}
	if ctx.Err() == nil {
		t.Error("the context is still live after stop")
	}
	if s := stopSignal(ctx); s != nil || signalStatus(ctx) != nil {
		t.Errorf("no signal arrived, yet the context names %v", s)
	}

	var loud bytes.Buffer
	ctx, stop = interruptContext(&loud)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		t.Fatal("SIGINT did not cancel the context")
	}
	stop()
	var exit *cli.ExitError
	if s := stopSignal(ctx); s == nil || !errors.As(signalStatus(ctx), &exit) || exit.Code != 130 {
		t.Errorf("after SIGINT the context names %v and asks for exit status %v, want SIGINT and 130", s, signalStatus(ctx))
	}
	if !strings.Contains(loud.String(), "stopping after this step") {
		t.Errorf("after SIGINT the watcher printed %q, want the stopping line", loud.String())
	}
}
