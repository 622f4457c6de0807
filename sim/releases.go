package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
	"github.com/fleetdesk/fleetdesk/app/rollout"
	"github.com/fleetdesk/fleetdesk/sim/fwimage"
)

var releaseNotes = []string{
	"Improves GSM reconnect after cell outages; fixes a rare watchdog reset during load transfer.",
	"Adds oil pressure trend alarm; reduces heartbeat payload size.",
	"Security fixes; faster boot; corrects fuel level calibration on 24 V systems.",
}

// buildReleases makes every release of every variant as real MCUboot images. Images are a pure
// function of variant and version, so a restarted backend serves byte-identical releases.
func (w *world) buildReleases(time.Time) error {
	base := time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
	for _, m := range fleet.AllModels {
		cons := fleet.ConsoleFor(m)
		for _, tr := range fleet.AllTransports {
			for vi, ver := range consoleVersions[cons] {
				v := fleet.Variant{Console: cons, Model: m, Transport: tr}
				id := fmt.Sprintf("rel-%s-%s-%s", strings.ToLower(string(m)), tr, ver)
				n := 48*1024 + int(sha256.Sum256([]byte(id))[0])*64
				img, err := fwimage.Build(v, ver, fwimage.Payload(v, ver, n))
				if err != nil {
					return fmt.Errorf("sim: building release %s: %w", id, err)
				}
				sum := sha256.Sum256(img)
				rel := &release{
					R: rollout.Release{
						ID:        id,
						Console:   cons,
						Model:     m,
						Transport: tr,
						Version:   ver,
						Size:      int64(len(img)),
						SHA256:    hex.EncodeToString(sum[:]),
						Notes:     fmt.Sprintf("%s %s for %s. %s", cons.DisplayName(), ver, v, releaseNotes[vi%len(releaseNotes)]),
						CreatedAt: base.AddDate(0, 0, 45*vi),
					},
					image: img,
				}
				w.releases = append(w.releases, rel)
				w.relByID[id] = rel
			}
		}
	}
	return nil
}
