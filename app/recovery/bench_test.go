package recovery_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/recovery"
	"github.com/fleetdesk/fleetdesk/sim/unit"
)

// benchFlash flashes a unit paced to baud and reports the upload's throughput and its fraction of
// the line's stop-and-wait SMP limit (limit-frac: 1.0 means the line never idled between a
// request, its answer and the next request).
func benchFlash(b *testing.B, baud, size, bufCount int) {
	data := buildImage(b, d180gsm, "2.4.0", size)
	var kbs, frac float64
	for range b.N {
		b.StopTimer()
		_, port := startUnit(b, unit.Config{Baud: baud, BufCount: bufCount})
		opt := recovery.Options{Port: port, Baud: baud, ResetWait: 50 * time.Millisecond}
		s := connect(b, opt)
		plan, err := s.Preflight("bench", data, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := s.Flash(context.Background(), plan, nil)
		if err != nil {
			b.Fatal(err)
		}
		kbs += res.Throughput / 1000
		frac += res.LineEfficiency
	}
	b.ReportMetric(kbs/float64(b.N), "KB/s")
	b.ReportMetric(frac/float64(b.N), "limit-frac")
}

func BenchmarkFlash115200(b *testing.B) { benchFlash(b, 115200, 48<<10, 1) }
func BenchmarkFlash921600(b *testing.B) { benchFlash(b, 921600, 256<<10, 1) }

// The Pipelined variants run against a unit announcing 4 buffers: chunks overlap their answers,
// so limit-frac (still against the stop-and-wait limit) can pass 1.0.
func BenchmarkFlash115200Pipelined(b *testing.B) { benchFlash(b, 115200, 48<<10, 4) }
func BenchmarkFlash921600Pipelined(b *testing.B) { benchFlash(b, 921600, 256<<10, 4) }
