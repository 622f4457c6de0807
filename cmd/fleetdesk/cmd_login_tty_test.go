//go:build linux

package main

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// TestPasswordPromptDoesNotEcho types a password on a real pty and reads back everything the
// terminal showed: the prompt, but not the password. The same golang.org/x/term call turns the
// echo off in a Windows console.
func TestPasswordPromptDoesNotEcho(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if !isTerminal(tty) {
		t.Fatal("a pty is not recognised as a terminal: the password would be read as a plain line")
	}
	const secret = "s3cret-Pässword"
	type result struct {
		pw  string
		err error
	}
	var prompt bytes.Buffer
	done := make(chan result, 1)
	go func() {
		pw, err := readPasswordFrom(tty, &prompt, "Password: ")
		done <- result{pw, err}
	}()
	// Type only once the prompt has turned echo off, as a person types after seeing the prompt
	// (the terminal echoes what arrives while echo is on).
	deadline := time.Now().Add(30 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the prompt never turned the terminal's echo off")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := ptmx.Write([]byte(secret + "\n")); err != nil {
		t.Fatal(err)
	}
	res := <-done
	got, err := res.pw, res.err
	if err != nil {
		t.Fatalf("readPasswordFrom: %v", err)
	}
	if got != secret {
		t.Fatalf("read %q, want %q", got, secret)
	}
	if prompt.String() != "Password: \n" {
		t.Fatalf("prompt %q", prompt.String())
	}
	// Whatever the terminal echoed sits before this marker on the master side.
	if _, err := tty.Write([]byte("END-OF-TEST\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(ptmx)
	shown := ""
	for !strings.Contains(shown, "END-OF-TEST") {
		line, err := r.ReadString('\n')
		shown += line
		if err != nil {
			t.Fatalf("reading the terminal: %v (so far %q)", err, shown)
		}
	}
	if strings.Contains(shown, "s3cret") {
		t.Fatalf("the terminal echoed the password: %q", shown)
	}
}
