package main

import (
	"os/exec"
	"syscall"
)

// detachedProcess is DETACHED_PROCESS: the window's program gets no console, not even this one's.
const detachedProcess = 0x00000008

// detach starts the window's program without this console and in a process group of its own: a
// Ctrl+C typed later in that console (at another program) must not reach it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | detachedProcess}
}
