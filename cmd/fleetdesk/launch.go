package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// guiExe is set at link time in the console-subsystem build that ships beside the window's program
// on Windows: scripts/package.sh builds fleetdesk.com with -X main.guiExe=FleetDesk.exe.
//
// Windows starts a program either for the console or for the GUI, fixed in its PE header.
// FleetDesk.exe is a GUI program (no console window flashes up when it is started from the Start
// menu), so cmd.exe and PowerShell neither wait for it nor show what it prints. fleetdesk.com is
// the same program as a console program: typed as `fleetdesk`, cmd.exe and PowerShell find it
// before FleetDesk.exe (.COM comes before .EXE in PATHEXT, as with devenv.com and devenv.exe), so
// the command line prints, prompts for the password and returns its exit status as a technician
// expects. What it must not do is hold a console window open beside the window for as long as the
// app runs: asked for the window (no command, or only window flags), it starts FleetDesk.exe from
// its own folder and returns at once.
var guiExe string

// launchesGUI reports whether this run hands the window to guiExe: only in the console build, and
// not for --measure-startup, whose figure has to reach the terminal that asked for it.
func launchesGUI(args []string) bool {
	if guiExe == "" {
		return false
	}
	for _, a := range args {
		if a == "--measure-startup" || a == "-measure-startup" {
			return false
		}
	}
	return true
}

// launchGUI starts the window's program, found beside this one, with the same arguments, and
// returns without waiting for it. Without it (someone copied fleetdesk.com alone) the window opens
// from this program, which then runs until the window closes.
func launchGUI(args []string) int {
	self, err := os.Executable()
	if err != nil {
		return runGUI(args)
	}
	gui := filepath.Join(filepath.Dir(self), guiExe)
	if _, err := os.Stat(gui); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "fleetdesk: %s is not beside %s; opening the window from here (close it to get the prompt back)\n",
			guiExe, filepath.Base(self))
		return runGUI(args)
	}
	cmd := exec.Command(gui, args...)
	detach(cmd)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "fleetdesk: starting %s: %v\n", gui, err)
		return 1
	}
	_ = cmd.Process.Release()
	return 0
}
