package kit

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/fleetdesk/fleetdesk/app/session"
)

// UI runs a function on the UI goroutine without waiting for it. The app uses FyneDo; a test
// passes its own loop (ui/internal/uitest.Loop) so the page's results and the test's taps take
// turns on one goroutine, as they do in the real app.
type UI func(func())

// FyneDo is the app's UI goroutine: fyne.Do. It is the only call of fyne.Do in FleetDesk.
func FyneDo(f func()) { fyne.Do(f) }

// Runner is a page's one way to do background work: it starts work off the UI goroutine and hands
// results back on it, runs tickers and timers, forwards the session's changes, and on Close
// cancels everything and waits for it. After Close nothing it started touches a widget again.
type Runner struct {
	ui     UI
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	stops  []func()
}

// NewRunner makes a runner that delivers on ui; nil means the app's UI goroutine (FyneDo).
func NewRunner(ui UI) *Runner {
	if ui == nil {
		ui = FyneDo
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Runner{ui: ui, ctx: ctx, cancel: cancel}
}

// Context is cancelled by Close: pass it to every call the page's work makes.
func (r *Runner) Context() context.Context { return r.ctx }

// UI is the function this runner delivers on (for a child widget that needs its own runner).
func (r *Runner) UI() UI { return r.ui }

// Do runs f on the UI goroutine, unless the runner is closed by then.
func (r *Runner) Do(f func()) {
	r.ui(func() {
		if r.ctx.Err() == nil {
			f()
		}
	})
}

// Go runs work off the UI goroutine with the runner's context. The function work returns (if not
// nil) runs on the UI goroutine afterwards, unless the runner was closed meanwhile.
func (r *Runner) Go(work func(ctx context.Context) func()) {
	if !r.add() {
		return
	}
	go func() {
		defer r.wg.Done()
		if show := work(r.ctx); show != nil {
			r.Do(show)
		}
	}()
}

// Run is Go for work that returns a value: done gets it on the UI goroutine.
func Run[T any](r *Runner, work func(ctx context.Context) T, done func(T)) {
	r.Go(func(ctx context.Context) func() {
		v := work(ctx)
		return func() { done(v) }
	})
}

// Ticker calls fn on the UI goroutine every period until stop or Close. A tick is skipped, not
// queued, while the previous one has not run yet, so a busy UI goroutine never falls behind.
func (r *Runner) Ticker(period time.Duration, fn func()) (stop func()) {
	t := time.NewTicker(period)
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { t.Stop(); close(done) }) }
	if !r.add() {
		stop()
		return stop
	}
	r.onClose(stop)
	go func() {
		defer r.wg.Done()
		var pending sync.Mutex
		for {
			select {
			case <-t.C:
				if !pending.TryLock() {
					continue
				}
				r.Do(func() {
					defer pending.Unlock()
					select {
					case <-done:
					default:
						fn()
					}
				})
			case <-done:
				return
			case <-r.ctx.Done():
				return
			}
		}
	}()
	return stop
}

// After calls fn once on the UI goroutine after d, unless stop (or Close) comes first.
func (r *Runner) After(d time.Duration, fn func()) (stop func() bool) {
	var cancelled sync.Once
	gone := make(chan struct{})
	t := time.AfterFunc(d, func() {
		r.Do(func() {
			select {
			case <-gone:
			default:
				fn()
			}
		})
	})
	stop = func() bool {
		cancelled.Do(func() { close(gone) })
		return t.Stop()
	}
	r.onClose(func() { stop() })
	return stop
}

// Subscribe forwards the service's changes to fn on the UI goroutine until Close. Changes that
// arrive while one is still pending are merged into it: a burst of sync pages costs one refresh.
func (r *Runner) Subscribe(svc session.Fleet, fn func(session.Change)) {
	m := &merger{fn: fn, do: r.Do}
	stop := svc.Subscribe(m.add)
	r.onClose(func() {
		m.mu.Lock()
		m.stopped = true
		m.mu.Unlock()
		stop()
	})
}

// Close cancels the context, stops tickers, timers and subscriptions, and waits for running work
// to return. Safe to call more than once and from the UI goroutine (deliveries are never waited for).
func (r *Runner) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	stops := r.stops
	r.stops = nil
	r.mu.Unlock()
	r.cancel()
	for _, s := range stops {
		s()
	}
	r.wg.Wait()
}

func (r *Runner) add() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	return true
}

// OnClose makes Close call f (before it waits for running work): for a part of the page that has
// its own stop. Called at once when the runner is already closed.
func (r *Runner) OnClose(f func()) { r.onClose(f) }

func (r *Runner) onClose(f func()) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		f()
		return
	}
	r.stops = append(r.stops, f)
	r.mu.Unlock()
}
