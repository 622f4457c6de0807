package syncer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/cache"
)

// Summary is what one sync did.
type Summary struct {
	Full     bool // started from no cursor: the whole fleet was fetched
	Pages    int
	Changed  int // devices received (new or changed)
	Removed  int // devices that left the scope
	Total    int // devices in scope according to the backend
	Cached   int // devices in the cache afterwards
	Duration time.Duration
	// Resync is set when the backend turned out to be another state than the cache's (restarted
	// without its data, restored from a backup): the cache was emptied and the whole fleet
	// listed again. It says so in words (Status.Resync).
	Resync string
}

// Progress is told units done and total during a sync (total 0 when unknown).
type Progress func(done, total int)

// Sync brings the cache up to date now: the whole fleet page by page on the first run (or after a
// rebuilt cache), the changes since the cursor after that; then rollouts, tokens, releases and the
// upload of pending service log entries. Each cache transaction holds whole pages (one, or the
// few already waiting when SQLite is the slower side) and the cursor after the last of them. On
// failure the cache keeps every page already committed and the cursor that goes with them.
func (s *Replica) Sync(ctx context.Context, progress Progress) (Summary, error) {
	if s.client == nil {
		return Summary{}, ErrOffline
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	start := time.Now()
	if !s.resumed {
		if err := s.auth.Resume(ctx); err != nil {
			s.noteErr(err)
			return Summary{}, err
		}
		s.resumed = true
		if err := s.identify(ctx); err != nil {
			return Summary{}, err
		}
	}
	sum, err := s.syncDevices(ctx, progress)
	if err != nil {
		return sum, err
	}
	s.mu.Lock()
	s.cycles++
	releases := s.cycles == 1 || s.cycles%s.opts.ExtrasEvery == 0
	s.mu.Unlock()
	if err := s.syncExtras(ctx, releases); err != nil {
		return sum, err
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

func (s *Replica) setSyncing(on bool, done, total int) {
	s.mu.Lock()
	s.status.Syncing = on
	s.status.SyncDone = done
	s.status.SyncTotal = total
	s.mu.Unlock()
	s.publish(session.Change{Status: true})
}

// fetched is one page on its way from the backend.
type fetched struct {
	page api.DevicePage
	err  error
}

func (s *Replica) syncDevices(ctx context.Context, progress Progress) (Summary, error) {
	st, err := s.cache.SyncState(ctx)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Full: st.Cursor == ""}
	cursor, state := st.Cursor, st.State
	restarts := 0
	total := 0
	if sum.Full || st.LastSync.IsZero() {
		total = st.Total // resuming an interrupted first sync: the last known size
	}
	s.setSyncing(true, 0, total)
	defer func() {
		s.mu.Lock()
		s.status.Syncing = false
		s.mu.Unlock()
	}()

	// Pages are fetched and decoded up to pagesAhead ahead of the one being written: on two cores
	// the network and JSON work hide behind the SQLite transactions, and a slow page on either
	// side does not stall the other.
	cur := s.fetchPages(ctx, cursor)
	defer func() { cur.stop() }()

	var changed []fleet.Device
	var removed []string
	done := 0
	for {
		f, ok := cur.next()
		if !ok {
			// The fetcher gave up without a page: only a cancelled context makes it do that.
			s.applyToIndex(changed, removed, sum.Full)
			if err := context.Cause(ctx); err != nil {
				return sum, err
			}
			return sum, errors.New("the device listing stopped before its last page")
		}
		page, err := f.page, f.err
		expired := err != nil && cursor != "" && api.CodeOf(err) == api.CodeCursorExpired
		moved := err == nil && cursor != "" && state != "" && page.State != "" && page.State != state
		if expired || moved {
			// The backend is not the state our cursor came from (restarted without its data,
			// restored from a backup): it said so with a 410, or its state header changed. Start
			// over from an empty fleet, so nothing the old state had lingers in the cache and
			// nothing the new one has is skipped. A backend whose state changes on every answer
			// (a state per instance behind a load balancer) would never settle: give up then.
			if restarts++; restarts > maxRestarts {
				s.applyToIndex(changed, removed, sum.Full)
				return sum, fmt.Errorf("the fleet backend changed its state %d times during one sync (%s %q, then %q): not syncing against it",
					restarts, api.HeaderBackendState, state, page.State)
			}
			s.applyToIndex(changed, removed, sum.Full)
			if err := s.cache.ResetDevices(ctx); err != nil {
				return sum, err
			}
			s.index.Store(fleet.NewIndex(nil))
			s.mu.Lock()
			s.state = ""
			s.status.Resync = resyncRunning
			s.status.SyncDone, s.status.SyncTotal = 0, 0
			s.mu.Unlock()
			s.publish(session.Change{All: true, Status: true})
			changed, removed, cursor, state, done = nil, nil, "", "", 0
			sum = Summary{Full: true, Resync: resyncRunning}
			cur.stop()
			cur = s.fetchPages(ctx, "")
			continue
		}
		if err != nil {
			s.noteErr(err)
			s.applyToIndex(changed, removed, sum.Full)
			s.publish(session.Change{Status: true})
			return sum, err
		}
		if page.HasMore && page.NextCursor == "" {
			s.applyToIndex(changed, removed, sum.Full)
			return sum, fmt.Errorf("GET %s: the backend said there is more but gave no cursor", api.PathDevices)
		}
		s.setOnline()
		if state == "" {
			state = page.State // the state this listing (and so the cursor) belongs to
		}
		// Pages that are already decoded and waiting go into the same transaction: while SQLite
		// is the slower side (a first sync), a commit per page costs a third of the write. Each
		// transaction still holds whole pages and the cursor after the last of them.
		pages := cur.gather(page, state)
		page = pages[len(pages)-1]
		nextCursor := page.NextCursor
		if nextCursor == "" {
			nextCursor = cursor
		}
		n0, r0 := len(changed), len(removed)
		if changed == nil && sum.Full && page.HasMore {
			// A first sync gathers the whole fleet for the index: size it once, not by doubling.
			changed = make([]fleet.Device, 0, max(page.Total+page.Total/16, len(page.Devices)))
		}
		for _, p := range pages {
			changed = append(changed, p.Devices...)
			removed = append(removed, p.Removed...)
		}
		b := cache.Batch{Devices: changed[n0:], Removed: removed[r0:], Cursor: nextCursor, Total: page.Total, State: state}
		if !page.HasMore {
			// On the backend's clock, as every other time the screens show: "synced 12 s ago"
			// and "data as of" sit on one clock with "Offline since" and the units' ages.
			b.Complete = s.Now()
			if s.opts.Now == nil && s.clock.Known() {
				b.ClockOffset, b.ClockKnown = s.clock.Offset(), true
			}
		}
		var next chan *fleet.Index
		if !page.HasMore {
			// The last page: build the new index while SQLite commits, and show it once the
			// commit succeeded (a delta's critical path is fetch, then write and patch at once).
			next = make(chan *fleet.Index, 1)
			base, ch, rm := s.Fleet(), changed, removed
			go func() { next <- base.Patch(ch, rm) }()
		}
		if err := s.cache.ApplyBatch(ctx, b); err != nil {
			if next != nil {
				<-next // built from a page that was not committed: dropped
			}
			s.applyToIndex(changed[:n0], removed[:r0], sum.Full)
			return sum, err
		}
		if next != nil {
			s.showIndex(<-next, changed, removed, sum.Full)
			changed, removed = nil, nil // shown: nothing left for the end of the loop
		}
		cursor = nextCursor
		for _, p := range pages {
			sum.Pages++
			sum.Changed += len(p.Devices)
			sum.Removed += len(p.Removed)
			sum.Total = p.Total
			done += len(p.Devices)
			if sum.Full || total > 0 {
				total = p.Total
			}
			// A unit that changes while the first sync runs comes round again in a later page,
			// so records received can pass the total; the display never says 352 of 351.
			shown := done
			if p.Total > 0 && shown > p.Total {
				shown = p.Total
			}
			s.mu.Lock()
			s.status.SyncDone, s.status.SyncTotal = shown, total
			s.mu.Unlock()
			if progress != nil {
				progress(shown, p.Total)
			}
		}
		s.publish(session.Change{Status: true})
		if !page.HasMore {
			break
		}
	}
	s.applyToIndex(changed, removed, sum.Full)
	sum.Cached = s.Fleet().Len()
	s.mu.Lock()
	s.status.LastSync = s.Now() // as b.Complete above
	s.status.Syncing = false
	s.state = state
	if sum.Resync != "" {
		sum.Resync = resyncDone
		s.status.Resync = resyncDone
	}
	s.mu.Unlock()
	s.publish(session.Change{Status: true})
	return sum, nil
}

// pagesAhead is how many decoded pages may wait for the writer (a few MB at 1,000 a page).
const pagesAhead = 4

// maxRestarts is how often one sync starts the listing over because the backend's state changed.
const maxRestarts = 3

// What the dealer is told while, and after, the whole fleet is synced again because the backend
// is another state than the cached fleet's.
const (
	resyncRunning = "The fleet backend was restarted; syncing the whole fleet again."
	resyncDone    = "The fleet backend was restarted (or restored from a backup); the whole fleet was synced again."
)

// stateChanged reports whether an answer's backend state says the cached fleet and its cursor
// belong to another state than the backend's now.
func (s *Replica) stateChanged(seen string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return seen != "" && s.state != "" && seen != s.state
}

// pageFetcher fetches device pages in order on its own goroutine until the last page, an error,
// or stop.
type pageFetcher struct {
	pages  chan fetched
	cancel context.CancelFunc
	done   chan struct{}
	// held is a page taken from pages by gather that did not fit the batch it was gathering (an
	// error, another backend state): next hands it out before anything else.
	held *fetched
	// closed is set when gather found pages closed; next then reports the end.
	closed bool
}

// next is the next page in order; ok is false once the fetcher has stopped without one.
func (f *pageFetcher) next() (fetched, bool) {
	if f.held != nil {
		p := *f.held
		f.held = nil
		return p, true
	}
	if f.closed {
		return fetched{}, false
	}
	p, ok := <-f.pages
	return p, ok
}

// maxPagesPerBatch bounds how many waiting pages gather puts into one transaction.
const maxPagesPerBatch = 8

// gather returns first followed by the pages already waiting that can share its transaction:
// good pages of the same backend state, up to the last page of the listing and at most
// maxPagesPerBatch in all. It never waits; a page it cannot take is held for next, which gives
// it the checks of a page of its own (an error, a state change, a missing cursor).
func (f *pageFetcher) gather(first api.DevicePage, state string) []api.DevicePage {
	pages := []api.DevicePage{first}
	for last := first; last.HasMore && last.NextCursor != "" && len(pages) < maxPagesPerBatch; {
		var p fetched
		var ok bool
		select {
		case p, ok = <-f.pages:
		default:
			return pages
		}
		switch {
		case !ok:
			f.closed = true
			return pages
		case p.err != nil || (p.page.HasMore && p.page.NextCursor == "") || (p.page.State != "" && state != "" && p.page.State != state):
			f.held = &p
			return pages
		}
		pages = append(pages, p.page)
		last = p.page
	}
	return pages
}

func (s *Replica) fetchPages(ctx context.Context, cursor string) *pageFetcher {
	fctx, cancel := context.WithCancel(ctx)
	f := &pageFetcher{pages: make(chan fetched, pagesAhead), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer close(f.pages) // a reader waiting for a page that will never come wakes up
		for {
			p, err := s.client.Devices(fctx, cursor, s.opts.PageSize)
			select {
			case f.pages <- fetched{p, err}:
			case <-fctx.Done():
				return
			}
			if err != nil || !p.HasMore || p.NextCursor == "" {
				return
			}
			cursor = p.NextCursor
		}
	}()
	return f
}

// stop cancels the fetch in flight and waits for the goroutine to end.
func (f *pageFetcher) stop() {
	f.cancel()
	<-f.done
}

// applyToIndex patches the in-memory index with what was committed and tells the listeners.
func (s *Replica) applyToIndex(changed []fleet.Device, removed []string, full bool) {
	if len(changed) == 0 && len(removed) == 0 {
		return
	}
	s.showIndex(s.Fleet().Patch(changed, removed), changed, removed, full)
}

// showIndex swaps in an index patched with what was committed and tells the listeners.
func (s *Replica) showIndex(ix *fleet.Index, changed []fleet.Device, removed []string, full bool) {
	if len(changed) == 0 && len(removed) == 0 {
		return
	}
	s.index.Store(ix)
	if full {
		s.publish(session.Change{All: true})
		return
	}
	ids := make([]string, 0, len(changed)+len(removed))
	for _, d := range changed {
		ids = append(ids, d.ID)
	}
	ids = append(ids, removed...)
	s.publish(session.Change{Devices: ids})
}

// syncExtras refreshes rollouts and tokens (and releases when asked) and uploads the service log.
// A refusal of one of them (a role without tokens, say) does not fail the sync.
func (s *Replica) syncExtras(ctx context.Context, releases bool) error {
	if rs, err := s.client.Rollouts(ctx); err == nil {
		if err := s.cache.PutRollouts(ctx, rs); err != nil {
			return err
		}
		s.publish(session.Change{Rollouts: true})
	} else if isUnreachable(err) {
		s.noteErr(err)
		return err
	}
	if ts, err := s.client.Tokens(ctx); err == nil {
		if err := s.cache.PutTokens(ctx, ts); err != nil {
			return err
		}
		s.publish(session.Change{Tokens: true})
	} else if isUnreachable(err) {
		s.noteErr(err)
		return err
	}
	if releases {
		if rl, err := s.client.Releases(ctx, ""); err == nil {
			if err := s.cache.PutReleases(ctx, "", rl); err != nil {
				return err
			}
		} else if isUnreachable(err) {
			s.noteErr(err)
			return err
		}
	}
	if _, err := s.UploadServiceLog(ctx); err != nil && isUnreachable(err) {
		return err
	}
	return nil
}

// DataAge says how old the cached fleet is, in words, for the headless commands and the status.
func DataAge(now, lastSync time.Time) string {
	if lastSync.IsZero() {
		return "never synced"
	}
	return "last synced " + fleet.Ago(now, lastSync) + " (" + lastSync.Local().Format("2006-01-02 15:04") + ")"
}
