package api

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// decodeAll reads every event of a stream, one byte at a time when slow (every line ending then
// falls across reads).
func decodeAll(t *testing.T, in string, slow bool, max int) ([]SSEEvent, error) {
	t.Helper()
	var r io.Reader = strings.NewReader(in)
	if slow {
		r = iotest.OneByteReader(r)
	}
	d := NewSSEDecoder(r, max)
	var out []SSEEvent
	for {
		ev, err := d.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

// The cases of the standard's "event stream interpretation", and the bounds FleetDesk adds.
func TestSSEDecoder(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		want []SSEEvent
		err  error
	}{
		"multi-line data":    {"data: YHOO\ndata: +2\ndata: 10\n\n", []SSEEvent{{"message", "", "YHOO\n+2\n10"}}, io.EOF},
		"comments and ids":   {": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n", []SSEEvent{{"message", "1", "first event"}, {"message", "", "second event"}, {"message", "", " third event"}}, io.EOF},
		"empty data":         {"data\n\ndata\ndata\n\ndata:\n", []SSEEvent{{"message", "", ""}, {"message", "", "\n"}}, io.EOF},
		"one leading space":  {"data:test\n\ndata: test\n\n", []SSEEvent{{"message", "", "test"}, {"message", "", "test"}}, io.EOF},
		"named, id persists": {"event: device\nid: e.5\ndata: {}\n\nevent: device\ndata: {\"a\":1}\n\n", []SSEEvent{{"device", "e.5", "{}"}, {"device", "e.5", `{"a":1}`}}, io.EOF},
		"CR and CRLF":        {"event: a\rdata: 1\r\rdata: 2\r\n\r\ndata: 3\n\n", []SSEEvent{{"a", "", "1"}, {"message", "", "2"}, {"message", "", "3"}}, io.EOF},
		"byte order mark":    {"\xEF\xBB\xBFdata: x\n\n", []SSEEvent{{"message", "", "x"}}, io.EOF},
		"a name needs data":  {"event: lonely\n\ndata: x\n\n", []SSEEvent{{"message", "", "x"}}, io.EOF},
		"id with NUL":        {"id: good\ndata: a\n\nid: b\x00ad\ndata: b\n\n", []SSEEvent{{"message", "good", "a"}, {"message", "good", "b"}}, io.EOF},
		"cut off at the end": {"data: whole\n\ndata: cut", []SSEEvent{{"message", "", "whole"}}, io.EOF},
		"unknown fields":     {"hello: world\nretry: x1\ndata: y\n\n", []SSEEvent{{"message", "", "y"}}, io.EOF},
		"too large":          {"data: " + strings.Repeat("x", 100) + "\n\n", nil, ErrSSETooLarge},
		"too large in lines": {strings.Repeat("data: xxxxxxxxxx\n", 10) + "\n", nil, ErrSSETooLarge},
	} {
		for _, slow := range []bool{false, true} {
			got, err := decodeAll(t, tc.in, slow, 64)
			if !errors.Is(err, tc.err) {
				t.Errorf("%s (slow %v): error %v, want %v", name, slow, err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("%s (slow %v): %q, want %q", name, slow, got, tc.want)
				continue
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%s (slow %v): event %d is %q, want %q", name, slow, i, got[i], tc.want[i])
				}
			}
		}
	}
}

// The comment hook sees the heartbeat; retry is read.
func TestSSEDecoderCommentsAndRetry(t *testing.T) {
	d := NewSSEDecoder(strings.NewReader("retry: 1500\n\n: heartbeat\n\ndata: x\n\n"), 0)
	var comments []string
	d.OnComment = func(c string) { comments = append(comments, c) }
	if ev, err := d.Next(); err != nil || ev.Data != "x" {
		t.Fatalf("%+v %v", ev, err)
	}
	if d.Retry != 1500 || len(comments) != 1 || comments[0] != " heartbeat" {
		t.Fatalf("retry %d, comments %q", d.Retry, comments)
	}
}

// encodeSSE writes events so that a decoder gives them back: the fuzz test's round trip.
func encodeSSE(evs []SSEEvent) []byte {
	var b bytes.Buffer
	for _, ev := range evs {
		b.WriteString("event: " + ev.Name + "\nid: " + ev.ID + "\n")
		for _, line := range strings.Split(ev.Data, "\n") {
			b.WriteString("data: " + line + "\n")
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// Any bytes give events or an error, never a panic; no event passes the bound; and the events
// decoded, written out again, decode to the same events.
func FuzzSSEDecoder(f *testing.F) {
	f.Add([]byte("event: device\nid: 7a.5\ndata: {\"id\":\"XP-00001\"}\n\n: heartbeat\n\n"))
	f.Add([]byte("\xEF\xBB\xBFdata: a\r\ndata: b\r\rid: \x00\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 4 << 10
		d := NewSSEDecoder(bytes.NewReader(in), max)
		var evs []SSEEvent
		for {
			ev, err := d.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrSSETooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if len(ev.Data) > max || strings.ContainsAny(ev.Name+ev.ID, "\r\n") || strings.Contains(ev.Data, "\r") {
				t.Fatalf("event breaks the format's rules: %q", ev)
			}
			evs = append(evs, ev)
		}
		again := NewSSEDecoder(bytes.NewReader(encodeSSE(evs)), 1<<20)
		for i, want := range evs {
			got, err := again.Next()
			if err != nil || got != want {
				t.Fatalf("event %d: re-encoded %q came back as %q (%v)", i, want, got, err)
			}
		}
	})
}
