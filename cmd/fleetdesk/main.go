// Command fleetdesk is the FleetDesk desktop app. Run with no arguments it opens the window (in demo
// mode, against an embedded simulated backend, when no backend is configured); with a subcommand it
// works headless for technicians, scripting and support: `fleetdesk help` lists them. On Windows it
// ships twice: FleetDesk.exe, the window, and fleetdesk.com, the command line (see launch.go).
package main

import (
	"fmt"
	"os"
	"sort"

	// First of all: a C.UTF-8 locale becomes English before Fyne reads it (see the package).
	_ "fleetdesk.invalid/localeenv"

	"github.com/fleetdesk/fleetdesk/internal/fynelog"
	"github.com/fleetdesk/fleetdesk/internal/version"
)

// subcommand is one headless verb. Each lives in its own cmd_*.go file and registers itself.
type subcommand struct {
	summary string
	run     func(args []string) int // returns the process exit status
}

var subcommands = map[string]subcommand{}

func register(name, summary string, run func(args []string) int) {
	subcommands[name] = subcommand{summary: summary, run: run}
}

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version" || os.Args[1] == "version") {
		fmt.Println(version.Get())
		return
	}
	if len(os.Args) < 2 || (len(os.Args[1]) > 0 && os.Args[1][0] == '-') {
		fynelog.Install() // Fyne's complaints about this computer's folders stay out of the log
		if launchesGUI(os.Args[1:]) {
			os.Exit(launchGUI(os.Args[1:]))
		}
		os.Exit(runGUI(os.Args[1:]))
	}
	name := os.Args[1]
	if name == "help" || name == "--help" {
		usage()
		return
	}
	cmd, ok := subcommands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "fleetdesk: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: fleetdesk [gui flags]        open the desktop app")
	fmt.Fprintln(os.Stderr, "       fleetdesk COMMAND [flags]    work headless")
	fmt.Fprintln(os.Stderr, "       fleetdesk --version          print the version, commit and build date")
	fmt.Fprintln(os.Stderr, "\ncommands:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, subcommands[n].summary)
	}
}
