package main

import (
	"os"

	"golang.org/x/term"
)

// isTerminal reports whether f is a terminal: a tty on Unix, a console on Windows.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readSecret reads one line from the terminal f with echo off, so a typed password is not shown.
// golang.org/x/term does it on every platform: termios on Unix and macOS, the console mode on
// Windows (cmd.exe, PowerShell, Windows Terminal); Ctrl-C still interrupts.
func readSecret(f *os.File) (string, error) {
	b, err := term.ReadPassword(int(f.Fd()))
	return string(b), err
}
