//go:build !linux

package unit

import (
	"context"
	"errors"
)

// PTY is a running simulated unit on a pseudo-terminal (Linux only).
type PTY struct{ Path string }

// ServePTY is only implemented on Linux; elsewhere use Serve on any io.ReadWriter.
func (u *Unit) ServePTY(ctx context.Context) (*PTY, error) {
	return nil, errors.New("unit: pseudo-terminals are supported on Linux only")
}

// Close does nothing.
func (p *PTY) Close() error { return nil }

// Done is never closed.
func (p *PTY) Done() <-chan struct{} { return nil }
