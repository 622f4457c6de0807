package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/fleetdesk/fleetdesk/app/session"
	"github.com/fleetdesk/fleetdesk/sync/api"
	"github.com/fleetdesk/fleetdesk/sync/auth"
	"github.com/fleetdesk/fleetdesk/sync/cache"
	"github.com/fleetdesk/fleetdesk/sync/syncer"
)

// guiProfiles is the Settings page's view of the profiles file (ui.Profiles): each profile is a
// backend with its own saved sign-in (OS keyring) and offline cache.
type guiProfiles struct{ g *gui }

func (p guiProfiles) Names() ([]string, string) {
	p.g.mu.Lock()
	r := p.g.resolved
	p.g.mu.Unlock()
	names := []string{r.profile}
	if cfg, err := syncer.LoadConfig(r.cfgPath); err == nil {
		names = cfg.ProfileNames()
		if !slices.Contains(names, r.profile) {
			names = append(names, r.profile)
		}
	}
	return names, r.profile
}

// Switch resumes the named profile and makes it the one the next start opens.
func (p guiProfiles) Switch(ctx context.Context, name string) (session.Session, error) {
	g := p.g
	g.mu.Lock()
	r := g.resolved
	g.mu.Unlock()
	cfg, err := syncer.LoadConfig(r.cfgPath)
	if err != nil {
		return nil, err
	}
	prof, ok := cfg.Profiles[name]
	if !ok {
		return nil, fmt.Errorf("there is no profile %q", name)
	}
	g.stopCurrent()
	g.mu.Lock()
	g.resolved.profile, g.resolved.backend, g.resolved.email = name, prof.Backend, prof.Email
	g.mu.Unlock()
	if err := syncer.RememberProfile(r.cfgPath, name, prof, true); err != nil {
		return nil, err
	}
	svc, err := g.resume(ctx)
	if errors.Is(err, auth.ErrNotSignedIn) || api.IsUnauthorized(err) {
		return nil, errors.New("its saved sign-in has expired or was signed out; sign in again")
	}
	return svc, err
}

// Add makes name the profile the next sign-in is saved under (and opened at the next start).
func (p guiProfiles) Add(name string) error {
	if err := cache.CheckProfile(name); err != nil {
		return err
	}
	g := p.g
	g.mu.Lock()
	defer g.mu.Unlock()
	g.resolved.profile, g.resolved.backend, g.resolved.email = name, "", ""
	return nil
}
