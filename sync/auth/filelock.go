package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// fileLock is an advisory exclusive lock on a file, shared by every FleetDesk process of one
// profile: the window, a scheduled `fleetdesk sync`, a second window. Refresh tokens are
// single-use, so two processes refreshing with the same token would sign the dealer out; the
// lock makes read-keyring → refresh → write-keyring one step across processes. The operating
// system drops the lock when a process dies, so a crash never leaves the profile locked.
type fileLock struct{ path string }

// errLockBusy is what tryLock returns while another process holds the lock.
var errLockBusy = errors.New("locked by another process")

// lockPoll is how often a waiting process tries the lock again.
const lockPoll = 25 * time.Millisecond

// acquire waits for the lock until ctx ends and returns its release.
func (l fileLock) acquire(ctx context.Context) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return nil, fmt.Errorf("sign-in lock: %w", err)
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sign-in lock: %w", err)
	}
	for {
		err := tryLock(f)
		if err == nil {
			return func() { unlock(f); f.Close() }, nil
		}
		if !errors.Is(err, errLockBusy) {
			f.Close()
			return nil, fmt.Errorf("sign-in lock %s: %w", l.path, err)
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for another FleetDesk to finish signing in: %w", ctx.Err())
		case <-t.C:
		}
	}
}
