package uitest

import (
	"sync"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// Listeners keeps the subscribers of an in-memory session.Session written for a page's own tests;
// embedded, it supplies the Subscribe method. The zero value is ready to use.
type Listeners struct {
	mu   sync.Mutex
	next int
	subs map[int]func(session.Change)
}

// Subscribe adds f and returns the call that removes it.
func (l *Listeners) Subscribe(f func(session.Change)) func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.subs == nil {
		l.subs = map[int]func(session.Change){}
	}
	id := l.next
	l.next++
	l.subs[id] = f
	return func() { l.mu.Lock(); delete(l.subs, id); l.mu.Unlock() }
}

// Notify tells every current subscriber about c, on the calling goroutine.
func (l *Listeners) Notify(c session.Change) { call(l.current(), c) }

// NotifyAsync tells the current subscribers about c on another goroutine, as the syncer does.
func (l *Listeners) NotifyAsync(c session.Change) {
	fs := l.current()
	go call(fs, c)
}

// current is a copy of the subscribers, so none is called with the lock held.
func (l *Listeners) current() []func(session.Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := make([]func(session.Change), 0, len(l.subs))
	for _, f := range l.subs {
		fs = append(fs, f)
	}
	return fs
}

func call(fs []func(session.Change), c session.Change) {
	for _, f := range fs {
		f(c)
	}
}
