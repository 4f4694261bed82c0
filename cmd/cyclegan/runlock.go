package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zebra-go/zebra/internal/cli"
	"github.com/zebra-go/zebra/internal/filelock"
)

// runLockName is the file in a run folder that cyclegan train locks while it trains: two
// processes appending to one loss.csv and saving over each other's checkpoints lose the history
// (a checkpoint of 43 steps beside 8 rows of losses).
const runLockName = "train.lock"

// lockRun takes the run folder's lock for this process, creating the folder, and writes this
// process's id into the lock file so that a second process can say who holds it. The system
// releases the lock when the process ends, however it ends; release does it earlier. The file
// itself stays: removing it would let a process that opened it before the removal and one that
// creates it afresh both hold "the" lock. The one exception is a run folder that this lock
// created and that holds nothing else when released (the run failed before writing anything:
// a -dataroot typo): release removes the lock file, still holding it, and the folders it made, so
// that a mistyped command leaves nothing behind.
func lockRun(runDir string) (release func(), err error) {
	_, statErr := os.Stat(runDir)
	created := errors.Is(statErr, os.ErrNotExist)
	removeCreated, err := cli.MkdirAll(runDir) // removes the folders it made, if empty
	if err != nil {
		return nil, err
	}
	path := filepath.Join(runDir, runLockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the run: %w", err)
	}
	ok, err := filelock.TryLock(f)
	if err != nil || !ok {
		holder := "another process"
		if data, readErr := os.ReadFile(path); readErr == nil {
			if pid, convErr := strconv.Atoi(strings.TrimSpace(string(data))); convErr == nil {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("locking the run: %w", err)
		}
		return nil, fmt.Errorf("%s is being trained by %s (it holds %s): wait for it to end, or choose another -name", runDir, holder, path)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the run: %w", err)
	}
	return func() {
		if created && removeIfOnlyLock(runDir, path) {
			removeCreated() // and <runs> too, if this made it
		}
		f.Close()
	}, nil
}

// removeIfOnlyLock removes the lock file at lockPath when the folder runDir holds nothing else,
// and says whether it did.
func removeIfOnlyLock(runDir, lockPath string) bool {
	entries, err := os.ReadDir(runDir)
	if err != nil || len(entries) != 1 || entries[0].Name() != runLockName {
		return false
	}
	return os.Remove(lockPath) == nil
}
