package api

import (
	"bytes"
	"errors"
	"io"
	"strconv"
)

// SSEEvent is one event of a Server-Sent Events stream, as the WHATWG HTML standard's
// "event stream interpretation" dispatches it.
type SSEEvent struct {
	Name string // the event type; "message" when the stream named none
	ID   string // the last event ID in force when it was dispatched
	Data string // the data lines, joined by "\n"
}

// ErrSSETooLarge is returned when a line or an event exceeds the decoder's bound: a stream that
// never ends its event must not fill memory.
var ErrSSETooLarge = errors.New("event stream: an event is larger than the limit")

// SSEDecoder reads events from a text/event-stream. It follows the standard's parsing rules
// (lines end in CRLF, LF or CR; a leading byte order mark is skipped; comments start with ':'; an
// event is dispatched at a blank line and only when it has data; an id containing NUL is
// ignored; an event cut off by the end of the stream is dropped), with bounded memory.
type SSEDecoder struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      error
	skipLF   bool // the last line ended in CR: a LF right after it belongs to that ending
	started  bool // the byte order mark check is done
	maxEvent int

	name   []byte
	data   []byte
	hasDat bool
	lastID string
	// Retry is the reconnection delay the stream asked for, in milliseconds (0: none).
	Retry int
	// OnComment, when set, is told each comment line (the heartbeat), without its ':'.
	OnComment func(string)
}

// DefaultMaxSSEEvent bounds one event (its data and any one line): far above the largest event
// the contract produces (a rollout's first event, with every unit), far below harm.
const DefaultMaxSSEEvent = 16 << 20

// NewSSEDecoder reads events from r, refusing any event or line over maxEvent bytes (0: the
// default).
func NewSSEDecoder(r io.Reader, maxEvent int) *SSEDecoder {
	if maxEvent <= 0 {
		maxEvent = DefaultMaxSSEEvent
	}
	return &SSEDecoder{r: r, buf: make([]byte, 32<<10), maxEvent: maxEvent}
}

// Next returns the next dispatched event. At the end of the stream it returns io.EOF (an event
// not finished by a blank line is dropped, as the standard says); a read error is returned as
// it is; a line or event over the bound is ErrSSETooLarge.
func (d *SSEDecoder) Next() (SSEEvent, error) {
	for {
		line, err := d.line()
		if err != nil {
			return SSEEvent{}, err
		}
		if len(line) == 0 {
			if !d.hasDat {
				d.name = d.name[:0]
				continue
			}
			ev := SSEEvent{Name: "message", ID: d.lastID, Data: string(bytes.TrimSuffix(d.data, []byte{'\n'}))}
			if len(d.name) > 0 {
				ev.Name = string(d.name)
			}
			d.name, d.data, d.hasDat = d.name[:0], d.data[:0], false
			if cap(d.data) > 1<<20 {
				d.data = nil // one big event does not stay allocated for the stream's life
			}
			return ev, nil
		}
		if line[0] == ':' {
			if d.OnComment != nil {
				d.OnComment(string(line[1:]))
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			d.name = append(d.name[:0], value...)
		case "data":
			if len(d.data)+len(value)+1 > d.maxEvent {
				return SSEEvent{}, ErrSSETooLarge
			}
			d.data = append(append(d.data, value...), '\n')
			d.hasDat = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				d.lastID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 && isDigits(value) {
				d.Retry = n
			}
		}
	}
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// line returns the next line without its ending; the slice is valid until the next call.
func (d *SSEDecoder) line() ([]byte, error) {
	for {
		if d.skipLF && d.pos < d.end {
			if d.buf[d.pos] == '\n' {
				d.pos++
			}
			d.skipLF = false
		}
		if !d.started {
			// Decided once three bytes are in, or fewer that cannot begin a byte order mark.
			have := d.buf[d.pos:d.end]
			switch {
			case bytes.HasPrefix(have, bom):
				d.pos += len(bom)
				d.started = true
			case len(have) >= len(bom) || d.eof != nil || !bytes.HasPrefix(bom, have):
				d.started = true
			}
		}
		if d.started {
			if i := bytes.IndexAny(d.buf[d.pos:d.end], "\r\n"); i >= 0 {
				line := d.buf[d.pos : d.pos+i]
				d.skipLF = d.buf[d.pos+i] == '\r'
				d.pos += i + 1
				return line, nil
			}
		}
		if d.eof != nil {
			return nil, d.eof // a line not ended by the stream's end is not a line
		}
		if d.end-d.pos > d.maxEvent {
			return nil, ErrSSETooLarge
		}
		if err := d.fill(); err != nil {
			d.eof = err
		}
	}
}

// fill reads more into the buffer, moving what is unread to its start and growing it (up to the
// bound) when a line does not fit.
func (d *SSEDecoder) fill() error {
	if d.pos > 0 {
		d.end = copy(d.buf, d.buf[d.pos:d.end])
		d.pos = 0
	}
	if d.end == len(d.buf) {
		n := min(2*len(d.buf), d.maxEvent+1)
		if n <= len(d.buf) {
			return ErrSSETooLarge
		}
		nb := make([]byte, n)
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	for range 100 {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		switch {
		case err != nil && n > 0:
			d.eof = err // the bytes first; the error once they are used
			return nil
		case err != nil:
			return err
		case n > 0:
			return nil
		}
	}
	return io.ErrNoProgress
}

var bom = []byte("\xEF\xBB\xBF")
