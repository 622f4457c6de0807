package fleetconsole

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fleetdesk/fleetdesk/app/fleet"
)

// CSVHeader is the first line of an export.
var CSVHeader = []string{"health", "device_id", "name", "customer_email", "model", "console",
	"transport", "firmware_version", "online", "run_state", "last_seen", "alarms", "latitude", "longitude"}

// WriteCSV writes devices as the Fleet Console shows them at time now, one row each, in the given
// order. Names and emails come from customers: a value a spreadsheet would run as a formula is
// written with a leading apostrophe so opening the export cannot execute anything.
func WriteCSV(w io.Writer, devices []fleet.Device, now time.Time) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rec := make([]string, len(CSVHeader))
	for i := range devices {
		d := &devices[i]
		lastSeen := ""
		if !d.LastSeen.IsZero() {
			lastSeen = d.LastSeen.UTC().Format(time.RFC3339)
		}
		lat, lon := "", ""
		if d.GPS != nil {
			lat = formatCoord(d.GPS.Lat)
			lon = formatCoord(d.GPS.Lon)
		}
		online := "false"
		if d.Online {
			online = "true"
		}
		rec[0] = string(d.HealthAt(now))
		rec[1] = safeCell(d.ID)
		rec[2] = safeCell(d.Name)
		rec[3] = safeCell(d.CustomerEmail)
		rec[4] = safeCell(string(d.Model))
		rec[5] = safeCell(string(d.Console))
		rec[6] = safeCell(string(d.Transport))
		rec[7] = safeCell(d.Firmware)
		rec[8] = online
		rec[9] = safeCell(string(d.RunState))
		rec[10] = lastSeen
		rec[11] = safeCell(strings.Join(d.Alarms, "; "))
		rec[12] = lat
		rec[13] = lon
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// safeCell defuses spreadsheet formula injection (OWASP "CSV injection").
func safeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func formatCoord(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

// WriteExcelCSV is the file the Export button saves: WriteCSV after a UTF-8 byte-order mark.
// Excel on Windows reads a CSV without one in the ANSI code page, so "Müller" or "São Paulo"
// would show as mojibake; with it every spreadsheet (Excel, LibreOffice, Numbers, Google Sheets)
// opens the file as UTF-8, and csv parsers that do not expect it see "\ufeffhealth" at most.
func WriteExcelCSV(w io.Writer, devices []fleet.Device, now time.Time) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	return WriteCSV(w, devices, now)
}
