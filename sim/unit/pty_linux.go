package unit

import (
	"context"
	"fmt"
	"sync"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a running simulated unit on a pseudo-terminal.
type PTY struct {
	// Path is the terminal a serial client opens (the pty's slave side).
	Path string
	done chan struct{}
	err  error
	stop func()
}

// ServePTY opens a pseudo-terminal pair and serves the unit on it until ctx ends or Close.
func (u *Unit) ServePTY(ctx context.Context) (*PTY, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("unit: open pty: %w", err)
	}
	// Raw mode, so the line discipline neither echoes nor rewrites bytes before a client opens it.
	if t, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err == nil {
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		_ = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, t)
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &PTY{Path: slave.Name(), done: make(chan struct{})}
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			// Closing the master ends the blocked read; the slave stays open until then so client
			// closes never turn into EIO on our side.
			master.Close()
			slave.Close()
		})
	}
	go func() {
		p.err = u.Serve(ctx, master)
		close(p.done)
	}()
	go func() {
		<-ctx.Done()
		p.stop()
	}()
	return p, nil
}

// Close stops the unit and releases the terminal. It may be called more than once.
func (p *PTY) Close() error {
	p.stop()
	<-p.done
	return nil
}

// Done is closed when the unit stops serving.
func (p *PTY) Done() <-chan struct{} { return p.done }
