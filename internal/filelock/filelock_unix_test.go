//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package filelock

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTryLock: a second open file cannot take the lock while the first holds it, and can once
// the first is closed.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	first, second := open(), open()
	defer second.Close()
	if ok, err := TryLock(first); !ok || err != nil {
		t.Fatalf("first lock: %v, %v", ok, err)
	}
	if ok, err := TryLock(second); ok || err != nil {
		t.Fatalf("second lock while the first is held: %v, %v; want false, nil", ok, err)
	}
	first.Close()
	if ok, err := TryLock(second); !ok || err != nil {
		t.Errorf("second lock after the first file closed: %v, %v", ok, err)
	}
}
