//go:build !windows

package main

import (
	"os/exec"
	"syscall"
)

// detach starts the window's program in a session of its own, out of the terminal's (elsewhere
// than Windows only tests use the console build's launcher).
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
