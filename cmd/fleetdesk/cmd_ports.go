package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fleetdesk/fleetdesk/app/recovery"
)

func init() {
	register("ports", "list serial ports (with USB VID:PID and serial number) for flashing", runPorts)
}

func runPorts(args []string) int {
	fs := flag.NewFlagSet("fleetdesk ports", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ports, err := recovery.ListPorts()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetdesk ports:", err)
		return 1
	}
	if len(ports) == 0 {
		fmt.Fprintln(os.Stderr, "no serial ports found (is the cable plugged in?)")
		return 0
	}
	for _, p := range ports {
		if p.IsUSB {
			fmt.Printf("%s\tUSB %s:%s\t%s\t%s\n", p.Path, p.VID, p.PID, p.SerialNumber, p.Product)
		} else {
			fmt.Printf("%s\n", p.Path)
		}
	}
	return 0
}
