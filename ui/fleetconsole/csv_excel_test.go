package fleetconsole

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// TestExportStartsWithBOM: the exported file begins with the UTF-8 byte-order mark Excel needs to
// read non-ASCII names, and after it is the same CSV as WriteCSV's.
func TestExportStartsWithBOM(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	devs := []fleet.Device{{ID: "GEN-1", Name: "Jürgen Müller, São Paulo", LastSeen: now}}
	var plain, excel bytes.Buffer
	if err := WriteCSV(&plain, devs, now); err != nil {
		t.Fatal(err)
	}
	if err := WriteExcelCSV(&excel, devs, now); err != nil {
		t.Fatal(err)
	}
	b := excel.Bytes()
	if !bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatalf("no UTF-8 BOM: % x", b[:min(8, len(b))])
	}
	if !bytes.Equal(b[3:], plain.Bytes()) {
		t.Fatal("after the BOM the export differs from WriteCSV")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][2] != "Jürgen Müller, São Paulo" {
		t.Fatalf("parsed %v, %v", recs, err)
	}
}
