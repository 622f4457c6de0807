package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	bi := &debug.BuildInfo{
		Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.time", Value: "2026-11-29T18:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	cases := []struct {
		name    string
		v, c, d string
		bi      *debug.BuildInfo
		want    Info
	}{
		{"link-time values win", "1.2.3", "feedbeef", "2026-01-02T03:04:05Z", bi,
			Info{"1.2.3", "feedbeef+dirty", "2026-01-02T03:04:05Z"}},
		{"build info fills the gaps", "", "", "", bi,
			Info{"dev", "0123456789ab+dirty", "2026-11-29T18:00:00Z"}},
		{"module version from a tagged build", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}},
			Info{"0.2.0", "unknown", "unknown"}},
		{"nothing known", "", "", "", nil, Info{"dev", "unknown", "unknown"}},
		// What Go 1.26 stamps for a plain `go build` in a git checkout: an untagged commit's
		// pseudo-version is no release, the commit and its time are the build's identity.
		{"plain build of an untagged commit", "", "", "", &debug.BuildInfo{
			Main: debug.Module{Version: "v0.0.0-20261207133644-bb1be9bddfab+dirty"},
			Settings: []debug.BuildSetting{
				{Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: "bb1be9bddfab630fbdf408ac1b099e59a9d5a0d7"},
				{Key: "vcs.time", Value: "2026-12-07T13:36:44Z"},
				{Key: "vcs.modified", Value: "true"},
			}}, Info{"dev", "bb1be9bddfab+dirty", "2026-12-07T13:36:44Z"}},
		{"plain build after a tag", "", "", "", &debug.BuildInfo{
			Main: debug.Module{Version: "v0.1.1-0.20261207133644-bb1be9bddfab"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "bb1be9bddfab630fbdf408ac1b099e59a9d5a0d7"},
				{Key: "vcs.time", Value: "2026-12-07T13:36:44Z"},
			}}, Info{"dev", "bb1be9bddfab", "2026-12-07T13:36:44Z"}},
		{"plain build of a tag", "", "", "", &debug.BuildInfo{
			Main: debug.Module{Version: "v0.2.0-rc.1"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "bb1be9bddfab630fbdf408ac1b099e59a9d5a0d7"},
			}}, Info{"0.2.0-rc.1", "bb1be9bddfab", "unknown"}},
	}
	for _, tc := range cases {
		if got := resolve(tc.v, tc.c, tc.d, tc.bi); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if s := (Info{"1.0.0", "abc", "today"}).String(); s != "FleetDesk 1.0.0 (commit abc, built today)" {
		t.Errorf("String() = %q", s)
	}
}
