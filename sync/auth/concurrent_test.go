package auth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// staleStore answers the first reads with an old secret, as a store does that another process
// writes to between our read and our refresh.
type staleStore struct {
	*Memory
	mu    sync.Mutex
	stale string
	left  int
}

func (s *staleStore) Get(account string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left > 0 {
		s.left--
		return s.stale, nil
	}
	return s.Memory.Get(account)
}

// TestRefusedRefreshRetriesWithNewerToken: a refresh refused because another process already
// used the token is retried once with the newer token from the store; the sign-in survives.
func TestRefusedRefreshRetriesWithNewerToken(t *testing.T) {
	srv, acc := startSim(t, 15*time.Minute)
	c := client(t, srv.URL)
	mem := &Memory{}
	first := New(c, mem, "p")
	if err := first.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	old, _ := mem.Get(Account("p"))
	// "Another process" refreshes: the old token is spent and the store holds the new one.
	other := New(c, mem, "p")
	if err := other.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	if now, _ := mem.Get(Account("p")); now == old {
		t.Fatal("the refresh did not rotate the token")
	}
	st := &staleStore{Memory: mem, stale: old, left: 2} // Resume's read and the first pre-refresh read
	late := New(c, st, "p")
	if err := late.Resume(context.Background()); err != nil {
		t.Fatalf("a refresh with a spent token was not retried with the newer one: %v", err)
	}
	if _, err := mem.Get(Account("p")); err != nil {
		t.Fatalf("the saved sign-in was deleted: %v", err)
	}
}

// TestLockSerialisesRefreshes: sessions of one profile sharing the lock file and the store
// refresh at once, many times; none is refused.
func TestLockSerialisesRefreshes(t *testing.T) {
	srv, acc := startSim(t, 15*time.Minute)
	c := client(t, srv.URL)
	mem := &Memory{}
	first := New(c, mem, "p")
	if err := first.SignIn(context.Background(), acc.Email, acc.Password); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(t.TempDir(), "p.signin.lock")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := New(c, mem, "p")
			s.SetLockFile(lock)
			for range 5 {
				if err := s.Resume(context.Background()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a refresh was refused: %v", err)
	}
}
