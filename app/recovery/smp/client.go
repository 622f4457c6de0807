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

// Client sends SMP requests over one serial line and matches the answers by sequence number.
// Several requests may be in flight (see Send and Await); an answer nobody waits for any more
// (a late answer to an abandoned request) is dropped.
type Client struct {
	rw io.ReadWriteCloser

	wmu sync.Mutex // serialises writes so frames never interleave
	mu  sync.Mutex // guards seq and waiters
	seq uint8
	// waiters maps a sequence number to the request awaiting its answer.
	waiters map[uint8]*waiter

	done    chan struct{}
	readErr error // set before done is closed

	closeOnce sync.Once

	// Version is the SMP version put in request headers (0 = v1, the one MCUboot speaks).
	Version uint8

	tx, rx atomic.Int64
	bad    atomic.Int64
}

type waiter struct {
	op    Op
	group uint16
	id    uint8
	ch    chan []byte // receives the answer's payload
}

// Pending is a request sent and not yet awaited.
type Pending struct {
	seq uint8
	w   *waiter
}

// NewClient starts reading from rw at once; Close stops it.
func NewClient(rw io.ReadWriteCloser) *Client {
	c := &Client{rw: rw, waiters: map[uint8]*waiter{}, done: make(chan struct{})}
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
				c.deliver(b)
			}
		}
		if err != nil {
			c.readErr = err
			close(c.done)
			return
		}
	}
}

// deliver hands an answer to the request waiting for it; anything else (stale, garbled,
// unsolicited) is dropped.
func (c *Client) deliver(body []byte) {
	h, p, err := ParseMessage(body)
	if err != nil {
		c.bad.Add(1)
		return
	}
	c.mu.Lock()
	w := c.waiters[h.Seq]
	if w != nil && w.group == h.Group && w.id == h.ID && w.op+1 == h.Op {
		delete(c.waiters, h.Seq)
	} else {
		w = nil
	}
	c.mu.Unlock()
	if w != nil {
		w.ch <- p
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

// Send writes one request and returns at once; Await collects the answer.
func (c *Client) Send(op Op, group uint16, id uint8, req any) (*Pending, error) {
	payload, err := cbor.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("smp: encode request: %w", err)
	}
	w := &waiter{op: op, group: group, id: id, ch: make(chan []byte, 1)}
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.waiters[seq] = w
	c.mu.Unlock()
	h := Header{Version: c.Version, Op: op, Group: group, Seq: seq, ID: id}
	frame, err := EncodePacket(h.Marshal(payload))
	if err == nil {
		c.wmu.Lock()
		_, err = c.rw.Write(frame)
		c.wmu.Unlock()
		if err != nil {
			err = fmt.Errorf("%w: write: %v", ErrClosed, err)
		}
	}
	if err != nil {
		c.forget(seq, w)
		return nil, err
	}
	c.tx.Add(int64(len(frame)))
	return &Pending{seq: seq, w: w}, nil
}

func (c *Client) forget(seq uint8, w *waiter) {
	c.mu.Lock()
	if c.waiters[seq] == w {
		delete(c.waiters, seq)
	}
	c.mu.Unlock()
}

// Await waits for the answer to p and decodes it into resp (may be nil). A deadline on ctx that
// passes gives ErrTimeout; the request is then abandoned.
func (c *Client) Await(ctx context.Context, p *Pending, resp any) error {
	select {
	case payload := <-p.w.ch:
		return DecodeResponse(payload, resp)
	case <-ctx.Done():
		c.forget(p.seq, p.w)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w (group %d id %d)", ErrTimeout, p.w.group, p.w.id)
		}
		return ctx.Err()
	case <-c.done:
		c.forget(p.seq, p.w)
		return fmt.Errorf("%w: %v", ErrClosed, c.readErr)
	}
}

// Forget abandons a request sent with Send: a late answer to it is dropped.
func (c *Client) Forget(p *Pending) { c.forget(p.seq, p.w) }

// Do sends one request and waits for its answer.
func (c *Client) Do(ctx context.Context, op Op, group uint16, id uint8, req, resp any) error {
	p, err := c.Send(op, group, id, req)
	if err != nil {
		return err
	}
	return c.Await(ctx, p, resp)
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

// ImageSlot is one entry of the image state answer. The state flags are nil when the unit did
// not send them, and absent is not false: MCUboot's serial recovery sends them only when built
// with CONFIG_BOOT_SERIAL_IMG_GRP_IMAGE_STATE (off by default, impossible in single-slot builds),
// and even then only the ones that are true, and never "active"; Zephyr's application-side
// img_mgmt sends all five.
type ImageSlot struct {
	Image     int    `cbor:"image"`
	Slot      int    `cbor:"slot"`
	Version   string `cbor:"version"`
	Hash      []byte `cbor:"hash"`
	Bootable  *bool  `cbor:"bootable"`
	Pending   *bool  `cbor:"pending"`
	Confirmed *bool  `cbor:"confirmed"`
	Active    *bool  `cbor:"active"`
	Permanent *bool  `cbor:"permanent"`
}

// HasState reports whether the entry carries any state flag.
func (s ImageSlot) HasState() bool {
	return s.Bootable != nil || s.Pending != nil || s.Confirmed != nil || s.Active != nil || s.Permanent != nil
}

// True reports whether a state flag was sent and is true.
func True(flag *bool) bool { return flag != nil && *flag }

// ImageState reads the unit's image slots.
func (c *Client) ImageState(ctx context.Context) ([]ImageSlot, error) {
	var r struct {
		Images []ImageSlot `cbor:"images"`
	}
	err := c.Do(ctx, OpRead, GroupImage, IDImageState, map[string]any{}, &r)
	return r.Images, err
}

// SlotSize asks MCUboot's slot info (group 1 id 6, CONFIG_BOOT_SERIAL_IMG_GRP_SLOT_INFO, off by
// default) for the largest image the first image's slots take: max_image_size when the unit
// gives it, else the size of the slot uploads go to.
func (c *Client) SlotSize(ctx context.Context) (int, error) {
	var r struct {
		Images []struct {
			Image int `cbor:"image"`
			Slots []struct {
				Slot     int  `cbor:"slot"`
				Size     int  `cbor:"size"`
				UploadID *int `cbor:"upload_image_id"`
			} `cbor:"slots"`
			MaxImageSize int `cbor:"max_image_size"`
		} `cbor:"images"`
	}
	if err := c.Do(ctx, OpRead, GroupImage, IDSlotInfo, map[string]any{}, &r); err != nil {
		return 0, err
	}
	for _, img := range r.Images {
		if img.Image != 0 {
			continue
		}
		if img.MaxImageSize > 0 {
			return img.MaxImageSize, nil
		}
		for _, sl := range img.Slots {
			if sl.UploadID != nil && sl.Size > 0 {
				return sl.Size, nil
			}
		}
	}
	return 0, errors.New("smp: slot info names no slot size")
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

// Upload sends one chunk and waits for the answer.
func (c *Client) Upload(ctx context.Context, req UploadRequest) (UploadResponse, error) {
	p, err := c.SendUpload(req)
	if err != nil {
		return UploadResponse{}, err
	}
	return c.AwaitUpload(ctx, p)
}

// SendUpload sends one chunk without waiting, for pipelining on units with several buffers.
func (c *Client) SendUpload(req UploadRequest) (*Pending, error) {
	return c.Send(OpWrite, GroupImage, IDImageUpload, req)
}

// AwaitUpload collects the answer to a chunk sent with SendUpload.
func (c *Client) AwaitUpload(ctx context.Context, p *Pending) (UploadResponse, error) {
	r := UploadResponse{Off: -1}
	err := c.Await(ctx, p, &r)
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
