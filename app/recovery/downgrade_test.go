package recovery_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

// An image older than the running firmware passes the check (recovery may need it) but is a
// downgrade: Flash refuses it, sending nothing, until the technician chooses it explicitly, and
// then it goes without the upgrade-only key (the unit would refuse it otherwise).
func TestDowngradeNeedsExplicitChoice(t *testing.T) {
	log := &memLog{}
	u, port := startUnit(t, unit.Config{Baud: 921600, Version: "2.3.0"})
	s := connect(t, fastOptions(port, 921600, log))
	plan, err := s.Preflight("old", buildImage(t, d180gsm, "2.2.0", 6000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Downgrade() || plan.UpgradeOnly() {
		t.Fatalf("downgrade %v, upgrade-only %v", plan.Downgrade(), plan.UpgradeOnly())
	}
	if sum := strings.Join(plan.Summary(), "\n"); !strings.Contains(sum, "DOWNGRADE") {
		t.Fatalf("summary does not say downgrade:\n%s", sum)
	}
	if _, err := s.Flash(context.Background(), plan, nil); !errors.Is(err, recovery.ErrDowngrade) {
		t.Fatalf("flash without the choice: %v", err)
	}
	if st := u.Stats(); st.UploadRequests != 0 || st.Resets != 0 {
		t.Fatalf("the unit received something: %+v", st)
	}
	if e := log.entries(); len(e) != 1 || e[0].Result != recovery.ResultRefused {
		t.Fatalf("log %+v", e)
	}
	plan.AllowDowngrade(true)
	res, err := s.Flash(context.Background(), plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.VersionAfter != "2.2.0" || u.Stats().UpgradeOnly != 0 {
		t.Fatalf("after %s, upgrade-only uploads %d", res.VersionAfter, u.Stats().UpgradeOnly)
	}
}

// A normal flash (a newer image) asks the unit for upgrade-only semantics; a reinstall of the
// same version does not (the unit would refuse it) and is no downgrade either.
func TestNormalFlashIsUpgradeOnly(t *testing.T) {
	u, port := startUnit(t, unit.Config{Baud: 921600, Version: "2.3.0"})
	s := connect(t, fastOptions(port, 921600, nil))
	_, res := flashD180(t, s, "2.4.0", 6000)
	if st := u.Stats(); res.VersionAfter != "2.4.0" || st.UpgradeOnly != 1 || st.RefusedOlder != 0 {
		t.Fatalf("after %s, %+v", res.VersionAfter, st)
	}
	plan, err := s.Preflight("same", buildImage(t, d180gsm, "2.4.0", 5000), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Downgrade() || plan.UpgradeOnly() {
		t.Fatalf("reinstall: downgrade %v, upgrade-only %v", plan.Downgrade(), plan.UpgradeOnly())
	}
	if _, err := s.Flash(context.Background(), plan, nil); err != nil {
		t.Fatal(err)
	}
	if st := u.Stats(); st.UpgradeOnly != 1 || st.Resets != 2 {
		t.Fatalf("%+v", st)
	}
}

// A unit that does not answer is explained as what to check, with the raw error kept as detail.
func TestSilentUnitExplained(t *testing.T) {
	_, port := startUnit(t, unit.Config{DropEvery: 1})
	opt := fastOptions(port, 115200, nil)
	opt.ProbeTimeout = 100e6
	_, err := recovery.Connect(context.Background(), opt)
	if err == nil {
		t.Fatal("connected to a silent unit")
	}
	p := recovery.Explain(err, port)
	if !strings.Contains(p.Title, "did not answer on "+port) || p.Detail != err.Error() {
		t.Fatalf("%+v", p)
	}
	joined := strings.Join(p.Checks, "\n")
	for _, want := range []string{"cable", "power", "recovery mode"} {
		if !strings.Contains(joined, want) {
			t.Errorf("checks miss %q:\n%s", want, joined)
		}
	}
	if strings.Contains(p.Title, "smp:") || strings.Contains(joined, "group 0") {
		t.Errorf("technical words in the explanation: %+v", p)
	}

	missing := filepath.Join(t.TempDir(), "ttyNOPE")
	_, err = recovery.Connect(context.Background(), fastOptions(missing, 115200, nil))
	if p := recovery.Explain(err, missing); !strings.Contains(p.Title, "no serial port "+missing) {
		t.Fatalf("missing port: %+v (%v)", p, err)
	}
}
