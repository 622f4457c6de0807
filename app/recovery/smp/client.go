package smp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/fxamacker/cbor/v2"
)

// ErrTimeout is returned when the unit did not answer a request in time.
var ErrTimeout = errors.New("smp: no answer from the unit")

// ErrClosed is returned once the line is gone (port closed, cable pulled).
var ErrClosed = errors.New("smp: serial line closed")

// Client sends SMP requests over one serial line and matches the answers by sequence number. One
// request is in flight at a time; a late answer to an abandoned request is recognised by its
// sequence number and dropped.
type Client struct {
	rw io.ReadWriteCloser

	mu  sync.Mutex // serialises requests
	seq uint8

	pkts    chan []byte
	done    chan struct{}
	readErr error // set before done is closed

	closeOnce sync.Once

	// Version is the SMP version put in request headers (0 = v1, the one MCUboot speaks).
	Version uint8

	tx, rx atomic.Int64
	bad    atomic.Int64
}

// NewClient starts reading from rw at once; Close stops it.
func NewClient(rw io.ReadWriteCloser) *Client {
	c := &Client{rw: rw, pkts: make(chan []byte, 16), done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *Client) readLoop() {
	var dec Decoder
	buf := make([]byte, 4096)
	for {
		n, err := c.rw.Read(buf)
		if n > 0 {
			c.rx.Add(int64(n))
			bodies, errs := dec.Feed(buf[:n])
			c.bad.Add(int64(len(errs)))
			for _, b := range bodies {
				select {
				case c.pkts <- b:
				default: // nobody is waiting and the queue is full: it is stale by definition
				}
			}
		}
		if err != nil {
			c.readErr = err
			close(c.done)
			return
		}
	}
}

// Close closes the line; pending and later requests fail with ErrClosed.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() { err = c.rw.Close() })
	return err
}

// Stats returns the bytes written to and read from the line, and how many malformed packets
// were discarded.
func (c *Client) Stats() (tx, rx, bad int64) { return c.tx.Load(), c.rx.Load(), c.bad.Load() }

// Do sends one request and decodes the answer into resp (may be nil). The context bounds the wait;
// a deadline that passes gives ErrTimeout.
func (c *Client) Do(ctx context.Context, op Op, group uint16, id uint8, req, resp any) error {
	payload, err := cbor.Marshal(req)
	if err != nil {
		return fmt.Errorf("smp: encode request: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	h := Header{Version: c.Version, Op: op, Group: group, Seq: seq, ID: id}
	frame, err := EncodePacket(h.Marshal(payload))
	if err != nil {
		return err
	}
	// Drop answers to abandoned requests so they cannot be taken for this one's.
	for len(c.pkts) > 0 {
		<-c.pkts
	}
	if _, err := c.rw.Write(frame); err != nil {
		return fmt.Errorf("%w: write: %v", ErrClosed, err)
	}
	c.tx.Add(int64(len(frame)))
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w (group %d id %d)", ErrTimeout, group, id)
			}
			return ctx.Err()
		case <-c.done:
			return fmt.Errorf("%w: %v", ErrClosed, c.readErr)
		case body := <-c.pkts:
			rh, rp, err := ParseMessage(body)
			if err != nil || rh.Seq != seq || rh.Group != group || rh.ID != id || rh.Op != op+1 {
				continue // not ours: stale, garbled or unsolicited
			}
			return DecodeResponse(rp, resp)
		}
	}
}

// Echo asks the unit to repeat s.
func (c *Client) Echo(ctx context.Context, s string) (string, error) {
	var r struct {
		R string `cbor:"r"`
	}
	err := c.Do(ctx, OpWrite, GroupOS, IDEcho, map[string]string{"d": s}, &r)
	return r.R, err
}

// Reset asks the unit to reboot. It answers first, then reboots.
func (c *Client) Reset(ctx context.Context) error {
	return c.Do(ctx, OpWrite, GroupOS, IDReset, map[string]any{}, nil)
}

// Params is the MCUmgr parameters answer: the unit's receive buffer size and count.
type Params struct {
	BufSize  int `cbor:"buf_size"`
	BufCount int `cbor:"buf_count"`
}

// Params asks for the MCUmgr parameters. Many bootloaders answer "not supported"
// (see IsNotSupported).
func (c *Client) Params(ctx context.Context) (Params, error) {
	var p Params
	err := c.Do(ctx, OpRead, GroupOS, IDParams, map[string]any{}, &p)
	return p, err
}

// ImageSlot is one entry of the image state answer.
type ImageSlot struct {
	Image     int    `cbor:"image"`
	Slot      int    `cbor:"slot"`
	Version   string `cbor:"version"`
	Hash      []byte `cbor:"hash"`
	Bootable  bool   `cbor:"bootable"`
	Pending   bool   `cbor:"pending"`
	Confirmed bool   `cbor:"confirmed"`
	Active    bool   `cbor:"active"`
	Permanent bool   `cbor:"permanent"`
}

// ImageState reads the unit's image slots.
func (c *Client) ImageState(ctx context.Context) ([]ImageSlot, error) {
	var r struct {
		Images []ImageSlot `cbor:"images"`
	}
	err := c.Do(ctx, OpRead, GroupImage, IDImageState, map[string]any{}, &r)
	return r.Images, err
}

// Identity is the FleetDesk identity group's answer. Model and Engine name the same thing on
// FleetDesk units (the model code); either may be missing on third-party firmware.
type Identity struct {
	Model     string `cbor:"model"`
	Engine    string `cbor:"engine"`
	Transport string `cbor:"transport"`
	Serial    string `cbor:"serial"`
	Console   string `cbor:"console"`
}

// Identity asks the unit who it is (group 64 id 0). Plain MCUboot does not know the group.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	var id Identity
	err := c.Do(ctx, OpRead, GroupFleet, IDIdentity, map[string]any{}, &id)
	return id, err
}

// UploadRequest is one image upload chunk. Len, Sha and Upgrade go with the first chunk (Off 0)
// only; later chunks carry Off and Data.
type UploadRequest struct {
	Image   *int   `cbor:"image,omitempty"`
	Len     *int   `cbor:"len,omitempty"`
	Off     int    `cbor:"off"`
	Sha     []byte `cbor:"sha,omitempty"`
	Data    []byte `cbor:"data"`
	Upgrade *bool  `cbor:"upgrade,omitempty"`
}

// UploadResponse carries the offset the unit expects next; continuing from it is how resume and
// resynchronisation work. Match is set on the last chunk when a sha was given.
type UploadResponse struct {
	Off   int   `cbor:"off"`
	Match *bool `cbor:"match"`
}

// Upload sends one chunk.
func (c *Client) Upload(ctx context.Context, req UploadRequest) (UploadResponse, error) {
	var r UploadResponse
	r.Off = -1
	err := c.Do(ctx, OpWrite, GroupImage, IDImageUpload, req, &r)
	if err == nil && r.Off < 0 {
		return r, fmt.Errorf("smp: upload answer carries no offset")
	}
	return r, err
}

// UploadPacketSize is the decoded packet size (length field, header, CBOR, CRC) of req: what
// must fit the unit's receive buffer.
func UploadPacketSize(req UploadRequest) int {
	b, err := cbor.Marshal(req)
	if err != nil {
		return 0
	}
	return 2 + headerLength + len(b) + 2
}
