package main

import (
	"fmt"
	"os"
)

// runGUI opens the desktop window. It is wired once the shell lands.
func runGUI(args []string) int {
	fmt.Fprintln(os.Stderr, "fleetdesk: the desktop window is being wired; use a subcommand (fleetdesk help)")
	return 1
}
