//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import "os"

// isTerminal is unknown here; treating stdin as a pipe reads the password as a plain line.
func isTerminal(*os.File) bool { return false }

// withoutEcho cannot turn echo off on this platform; the prompt says so.
func withoutEcho(_ *os.File, read func() (string, error)) (string, error) { return read() }
