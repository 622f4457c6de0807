package recovery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

// stockOptions are fastOptions with a short wait for an answer after the reset.
func stockOptions(port string, log recovery.ServiceLog) recovery.Options {
	o := fastOptions(port, 921600, log)
	o.RestartTimeout = 1500 * time.Millisecond
	return o
}

// stockPlan connects to a stock unit, which does not identify itself, and checks a D180 GSM image
// of version with n payload bytes against the technician's choice.
func stockPlan(t *testing.T, opt recovery.Options, version string, n int) (*recovery.Link, *recovery.Plan) {
	t.Helper()
	s := connect(t, opt)
	plan, err := s.Preflight("d180-gsm-"+version+".bin", buildImage(t, d180gsm, version, n), &d180gsm)
	if err != nil {
		t.Fatal(err)
	}
	return s, plan
}

// Against a stock MCUboot (no echo, no identity, no parameters, image list of {slot, hash,
// version} only, Zephyr's 128-byte receive lines) a good image is written, verified by the listing
// itself (the bootloader lists only validated slots; a missing "bootable" is not false), the
// bootloader restarts the unit, and the application that never answers SMP is reported as not
// asked, not as a failure.
func TestStockFlashVerifiedByListingThenNotAsked(t *testing.T) {
	u, port := startUnit(t, unit.Stock(unit.Config{Baud: 921600, Version: "2.3.0"}))
	log := &memLog{}
	s, plan := stockPlan(t, stockOptions(port, log), "2.4.0", 20000)
	info := s.Unit()
	if info.HasIdentity || info.ParamsKnown || info.ReportsState() || info.ActiveVersion() != "2.3.0" {
		t.Fatalf("unit %+v", info)
	}
	var notes []string
	res, err := s.Flash(context.Background(), plan, func(p recovery.Progress) {
		if p.Note != "" {
			notes = append(notes, p.Stage.String()+": "+p.Note)
		}
	})
	if err != nil {
		t.Fatalf("flash: %v (notes %q)", err, notes)
	}
	if res.Outcome != recovery.OutcomeRestarted || !res.ResetAnswered || res.VersionAfter != "" {
		t.Fatalf("result %+v", res)
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "verify: verified: the bootloader lists slot 0 with the image's SHA-256") ||
		!strings.Contains(res.Proof, "reports no state flags") {
		t.Fatalf("the proof is not told: %q / %q", notes, res.Proof)
	}
	rep := res.Report()
	for _, want := range []string{"Written and verified", "acknowledged the reset and restarted the unit",
		"does not answer on this port", "could not ask whether 2.4.0 runs"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report misses %q: %s", want, rep)
		}
	}
	st := u.Stats()
	if st.Resets != 1 || !st.AppRunning || st.AppIgnored == 0 || st.Restarts != 1 || st.UpgradeOnly != 1 || st.CutLines != 0 {
		t.Fatalf("unit %+v", st)
	}
	if sl := u.Slots(); sl[0] == nil || sl[0].Version != "2.4.0" {
		t.Fatalf("slot 0 %+v", sl[0])
	}
	if e := log.entries(); len(e) != 1 || e[0].Result != recovery.ResultOK || e[0].VersionAfter != "" || e[0].VariantSource != "technician" ||
		e[0].Outcome != recovery.OutcomeRestarted || e[0].Proof != res.Proof {
		t.Fatalf("service log %+v", e)
	}
}

// A stock bootloader that answers again after the reset (its recovery button still held, or a
// bootloader that waits for commands) did not start the application: written and verified, not
// started. An application that reports the old image active means the bootloader refused the new
// one. Neither is told as a plain success or a plain failure.
func TestAfterResetOutcomes(t *testing.T) {
	cfg := unit.Stock(unit.Config{Baud: 921600})
	cfg.SilentApp = false
	_, port := startUnit(t, cfg)
	s, plan := stockPlan(t, stockOptions(port, nil), "2.4.0", 6000)
	res, err := s.Flash(context.Background(), plan, nil)
	if !errors.Is(err, recovery.ErrNotStarted) || res.Outcome != recovery.OutcomeVerified || !strings.Contains(err.Error(), "bootloader answered again") {
		t.Fatalf("back in the bootloader: %v, %+v", err, res)
	}
	if p := recovery.Explain(err, port); !strings.Contains(strings.Join(p.Checks, " "), "Power-cycle") {
		t.Fatalf("explained as %+v", p)
	}

	_, port = startUnit(t, unit.Config{Baud: 921600, RejectUpdate: true})
	s = connect(t, stockOptions(port, nil))
	plan, err = s.Preflight("f", buildImage(t, d180gsm, "2.4.0", 6000), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = s.Flash(context.Background(), plan, nil)
	if !errors.Is(err, recovery.ErrOtherImage) || res.Outcome != recovery.OutcomeOtherImage || res.VersionAfter != "2.3.0" {
		t.Fatalf("refused by the bootloader: %v, %+v", err, res)
	}
}

// An image larger than the unit's slot is refused at offset 0 with rc 3, before the bootloader
// erases anything; FleetDesk says what most likely happened, with the slot size when the unit
// reports it (MCUboot's slot info), and that the unit still holds its firmware.
func TestImageLargerThanSlot(t *testing.T) {
	for _, slotInfo := range []bool{false, true} {
		cfg := unit.Stock(unit.Config{Baud: 921600, SlotSize: 16384})
		cfg.SlotInfo = slotInfo
		u, port := startUnit(t, cfg)
		s, plan := stockPlan(t, stockOptions(port, nil), "2.4.0", 20000)
		res, err := s.Flash(context.Background(), plan, nil)
		var big *recovery.ImageTooLargeError
		if !errors.As(err, &big) || res.Outcome != recovery.OutcomeNone {
			t.Fatalf("slot info %v: %v", slotInfo, err)
		}
		if want := map[bool]int{false: 0, true: 16384}[slotInfo]; big.SlotSize != want || big.Size < 20000 || int64(big.Size) != res.Bytes {
			t.Fatalf("slot info %v: %+v", slotInfo, big)
		}
		p := recovery.Explain(err, port)
		if !strings.Contains(p.Title, "larger than the unit's firmware slot") || !strings.Contains(p.Title, "Nothing was written") ||
			slotInfo != strings.Contains(p.Title, "slot 16384 bytes") || !strings.Contains(p.Detail, "rc 3") {
			t.Fatalf("slot info %v: %+v", slotInfo, p)
		}
		if st := u.Stats(); st.Resets != 0 || u.Slots()[0] == nil || u.Slots()[0].Version != "2.3.0" {
			t.Fatalf("after the refusal: %+v, slot 0 %+v", st, u.Slots()[0])
		}
	}
}

// A stock MCUboot ignores the "upgrade" key, so FleetDesk's own downgrade check is the only
// guard: a downgrade is refused with nothing sent, and a plan checked against firmware the unit
// no longer runs (it was flashed since) is refused before a byte goes out, instead of writing
// what has become a downgrade.
func TestDowngradeGuardAgainstStockUnit(t *testing.T) {
	cfg := unit.Stock(unit.Config{Baud: 921600, Version: "2.3.0", RebootTime: 20 * time.Millisecond})
	u, port := startUnit(t, cfg)
	log := &memLog{}
	s, older := stockPlan(t, stockOptions(port, log), "2.2.0", 5000)
	if !older.Downgrade() {
		t.Fatal("2.2.0 over 2.3.0 is not called a downgrade")
	}
	if _, err := s.Flash(context.Background(), older, nil); !errors.Is(err, recovery.ErrDowngrade) {
		t.Fatalf("downgrade without the choice: %v", err)
	}
	stale, err := s.Preflight("d180-gsm-2.4.0.bin", buildImage(t, d180gsm, "2.4.0", 5000), &d180gsm)
	if err != nil || stale.Downgrade() {
		t.Fatalf("2.4.0: %v, downgrade %v", err, stale.Downgrade())
	}
	newer, err := s.Preflight("d180-gsm-2.5.0.bin", buildImage(t, d180gsm, "2.5.0", 5000), &d180gsm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Flash(context.Background(), newer, nil); err != nil {
		t.Fatal(err)
	}
	u.EnterRecovery() // the technician restarts it into serial recovery
	time.Sleep(100 * time.Millisecond)
	sent := u.Stats().UploadRequests
	_, err = s.Flash(context.Background(), stale, nil)
	if !errors.Is(err, recovery.ErrUnitChanged) || !strings.Contains(err.Error(), "2.3.0 then, 2.5.0 now") {
		t.Fatalf("stale plan: %v", err)
	}
	if st := u.Stats(); st.UploadRequests != sent || u.Slots()[0].Version != "2.5.0" {
		t.Fatalf("a stale plan sent %d upload requests; slot 0 %+v", st.UploadRequests-sent, u.Slots()[0])
	}
	again, err := s.Preflight("d180-gsm-2.4.0.bin", buildImage(t, d180gsm, "2.4.0", 5000), &d180gsm)
	if err != nil || !again.Downgrade() {
		t.Fatalf("checked again: %v, downgrade %v", err, again.Downgrade())
	}
	if _, err := s.Flash(context.Background(), again, nil); !errors.Is(err, recovery.ErrDowngrade) {
		t.Fatalf("the downgrade checked again: %v", err)
	}
	var refusals int
	for _, e := range log.entries() {
		if e.Result == recovery.ResultRefused {
			refusals++
		}
	}
	if refusals != 3 {
		t.Fatalf("%d refusals in the service log, want 3: %+v", refusals, log.entries())
	}
}

// MCUboot's serial recovery writes into the slot it boots from and the first chunk erases it: a
// cancel after that must not claim the unit still runs its previous firmware. A FleetDesk unit,
// which uploads into its other slot, still holds it, and that is said too.
func TestCancelTellsWhatTheUnitHolds(t *testing.T) {
	for _, stock := range []bool{true, false} {
		cfg := unit.Config{Baud: 115200}
		if stock {
			cfg = unit.Stock(cfg)
		}
		u, port := startUnit(t, cfg)
		opt := stockOptions(port, nil)
		opt.Baud = 115200
		s, plan := stockPlan(t, opt, "2.4.0", 30000)
		ctx, cancel := context.WithCancel(context.Background())
		_, err := s.Flash(ctx, plan, func(p recovery.Progress) {
			if p.Sent >= 3000 {
				cancel()
			}
		})
		if !errors.Is(err, recovery.ErrCancelled) || errors.Is(err, recovery.ErrFirmwareErased) != stock {
			t.Fatalf("stock %v: %v", stock, err)
		}
		if !stock && !strings.Contains(err.Error(), "still holds its previous firmware (2.3.0)") {
			t.Fatalf("FleetDesk unit: %v", err)
		}
		if st := u.Stats(); st.Resets != 0 || (u.Slots()[0] == nil) != stock {
			t.Fatalf("stock %v: %+v, slot 0 %+v", stock, st, u.Slots()[0])
		}
		if stock {
			if s.Unit().ActiveVersion() != "" {
				t.Fatalf("the link still believes the unit runs %s", s.Unit().ActiveVersion())
			}
			// Flashing again is what the technician must do, and it works.
			plan, err := s.Preflight("again", buildImage(t, d180gsm, "2.4.0", 30000), &d180gsm)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := s.Flash(context.Background(), plan, nil); err != nil || res.Outcome != recovery.OutcomeRestarted {
				t.Fatalf("flash after the cancel: %v %+v", err, res)
			}
		}
	}
}

// A unit that leaves the echo unanswered is still found: the image list answers for it, on
// connect and after the reset.
func TestConnectWithoutEcho(t *testing.T) {
	cfg := unit.Stock(unit.Config{Baud: 921600})
	cfg.DropEcho, cfg.SilentApp = true, false
	u, port := startUnit(t, cfg)
	s, plan := stockPlan(t, stockOptions(port, nil), "2.4.0", 4000)
	if s.Unit().ActiveVersion() != "2.3.0" {
		t.Fatalf("unit %+v", s.Unit())
	}
	// The bootloader answers again after the reset (no application): found through the list,
	// and again after the second reset with a longer silence.
	if _, err := s.Flash(context.Background(), plan, nil); !errors.Is(err, recovery.ErrNotStarted) {
		t.Fatalf("flash: %v", err)
	}
	if st := u.Stats(); st.Resets != 2 {
		t.Fatalf("%+v", st)
	}
}

// A stock MCUboot whose flash stores the upload wrong (a bad cell) does not list the slot at all:
// its own validation failed. FleetDesk must stop before the reset and say so.
func TestStockBadWriteNotReset(t *testing.T) {
	u, port := startUnit(t, unit.Stock(unit.Config{Baud: 921600, Version: "2.3.0", FlipBitAt: 1000}))
	log := &memLog{}
	s, plan := stockPlan(t, stockOptions(port, log), "2.4.0", 20000)
	_, err := s.Flash(context.Background(), plan, nil)
	if err == nil || !strings.Contains(err.Error(), "does not list the uploaded image") || !strings.Contains(err.Error(), "not reset") {
		t.Fatalf("flash of an image stored wrong: %v, want a verify failure before the reset", err)
	}
	st := u.Stats()
	if st.UploadBytes < 20000 || st.Restarts != 1 {
		t.Fatalf("setup: the upload did not complete: %+v", st)
	}
	if st.Resets != 0 {
		t.Fatalf("the unit was reset %d time(s) after a bad write", st.Resets)
	}
	if e := log.entries(); len(e) != 1 || e[0].Result != recovery.ResultFailed {
		t.Fatalf("service log %+v", e)
	}
}

// A bootloader built with CONFIG_BOOT_SERIAL_WAIT_FOR_DFU (Zephyr's 500 ms timeout, after
// MCUboot's 250 ms delay before it reboots) stays in serial recovery if any request reaches it in
// its window after the restart. With FleetDesk's default quiet time after the reset nothing does:
// the application boots, and the flash ends restarted (not "not started"), with one reset.
func TestWaitForDFUNotKeptInBootloader(t *testing.T) {
	u, port := startUnit(t, unit.Stock(unit.Config{Baud: 921600, RebootTime: 250 * time.Millisecond,
		WaitForDFU: 500 * time.Millisecond}))
	opt := stockOptions(port, nil)
	opt.ResetWait = 0 // FleetDesk's default
	s, plan := stockPlan(t, opt, "2.4.0", 6000)
	res, err := s.Flash(context.Background(), plan, nil)
	if err != nil || res.Outcome != recovery.OutcomeRestarted {
		t.Fatalf("flash: %v, %+v", err, res)
	}
	if st := u.Stats(); st.KeptInRecovery != 0 || st.Resets != 1 || !st.AppRunning {
		t.Fatalf("unit %+v", st)
	}
}

// A wait for DFU longer than the quiet time: the bootloader answers again after the restart
// because FleetDesk's own question kept it there. FleetDesk resets it again and stays silent
// longer, and the application that then boots confirms the new image.
func TestWaitForDFULongerThanQuietResetsAgain(t *testing.T) {
	u, port := startUnit(t, unit.Config{Baud: 921600, RebootTime: 100 * time.Millisecond,
		WaitForDFU: 600 * time.Millisecond})
	opt := stockOptions(port, nil)
	opt.ResetWait = 200 * time.Millisecond
	s := connect(t, opt)
	plan, err := s.Preflight("f", buildImage(t, d180gsm, "2.4.0", 6000), nil)
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	res, err := s.Flash(context.Background(), plan, func(p recovery.Progress) {
		if p.Note != "" {
			notes = append(notes, p.Note)
		}
	})
	if err != nil || res.Outcome != recovery.OutcomeConfirmed || res.VersionAfter != "2.4.0" {
		t.Fatalf("flash: %v, %+v (notes %q)", err, res, notes)
	}
	if st := u.Stats(); st.KeptInRecovery != 1 || st.Resets != 2 || st.InBootloader {
		t.Fatalf("unit %+v", st)
	}
	if joined := strings.Join(notes, "\n"); !strings.Contains(joined, "CONFIG_BOOT_SERIAL_WAIT_FOR_DFU") {
		t.Fatalf("the second reset is not explained: %q", notes)
	}
}
