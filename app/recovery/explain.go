package recovery

import (
	"errors"
	"fmt"
	"io/fs"

	"go.bug.st/serial"

	"github.com/fleetdesk/fleetdesk/app/recovery/image"
	"github.com/fleetdesk/fleetdesk/app/recovery/smp"
)

// Problem is a failure told for a technician on site: what happened, what to check, and the
// technical detail (for a support call) kept apart so the screen can put it one click away.
type Problem struct {
	Title  string   // one sentence: what happened
	Checks []string // what to check or do, most likely first; may be empty
	Detail string   // the error as the code saw it
}

// Explain turns a connect or flash error into a Problem. port is the port that was used.
func Explain(err error, port string) Problem {
	p := Problem{Title: err.Error(), Detail: err.Error()}
	var pe *serial.PortError
	var big *ImageTooLargeError
	switch {
	case errors.Is(err, ErrCancelled), errors.Is(err, ErrDowngrade), errors.Is(err, ErrUnitRefusedOlder),
		errors.Is(err, ErrNoPort), errors.Is(err, ErrBusy), errors.Is(err, ErrNotConnected):
		// Already in the technician's words.
	case errors.Is(err, ErrUnitChanged):
		p.Checks = []string{"Check the cable goes to the unit you mean to flash.",
			"Choose the firmware again: the check then runs against what the unit runs now."}
	case errors.As(err, &big):
		p.Title = fmt.Sprintf("The unit refused this image at the start: most likely it is larger than the unit's firmware slot (image %d bytes", big.Size)
		if big.SlotSize > 0 {
			p.Title += fmt.Sprintf(", slot %d bytes", big.SlotSize)
		}
		p.Title += "). Nothing was written."
		p.Checks = []string{"Choose a release built for this unit: a unit with a smaller firmware slot needs its own build.",
			"If it is the right release, ask support which slot size this unit's bootloader was built with."}
	case errors.Is(err, ErrNotStarted):
		p.Checks = []string{"Power-cycle the unit (release its recovery button first, if it has one): its bootloader then starts the new image.",
			"Then check it runs the new version: on its display, or in the fleet backend once it reports in."}
	case errors.Is(err, ErrOtherImage):
		p.Checks = []string{"Flash it again. If it comes back on the other image again, the image may not suit this unit's bootloader (signing key or slot layout): call support with the technical detail."}
	case errors.Is(err, image.ErrMismatch), errors.Is(err, image.ErrInvalid):
		p.Title = "This firmware does not fit this unit; nothing was sent."
		p.Checks = []string{"Choose a release built for the unit's model and transport.",
			"If the unit does not identify itself, check its label for the model and transport you chose."}
	case errors.As(err, &pe) && pe.Code() == serial.PortNotFound, errors.Is(err, fs.ErrNotExist):
		p.Title = "There is no serial port " + port + "."
		p.Checks = []string{"Check the path is spelled right (for example /dev/ttyUSB0 or COM3).",
			"Plug in the USB cable, then press Refresh to list the ports again."}
	case errors.As(err, &pe) && pe.Code() == serial.PermissionDenied, errors.Is(err, fs.ErrPermission):
		p.Title = "FleetDesk is not allowed to open " + port + "."
		p.Checks = []string{"On Linux your user account must be in the \"dialout\" group (then sign out of the computer and back in).",
			"Close any other program that uses the port."}
	case errors.As(err, &pe) && pe.Code() == serial.PortBusy:
		p.Title = port + " is in use by another program."
		p.Checks = []string{"Close the other program (a terminal, another FleetDesk window), then connect again."}
	case errors.Is(err, smp.ErrTimeout):
		p.Title = "The unit did not answer on " + port + "."
		p.Checks = []string{
			"The cable is plugged in firmly at both ends: the unit's service port and the laptop.",
			"The unit has power.",
			"The unit is in recovery mode: a unit running its normal firmware does not answer here.",
			"This is the port of the unit's cable (unplug the cable and press Refresh to see which port goes away).",
			"The baud rate matches the unit (115200 unless its documentation says otherwise).",
		}
	case errors.Is(err, smp.ErrClosed):
		p.Title = "The connection to the unit on " + port + " was lost."
		p.Checks = []string{"Check the cable and the unit's power, then connect again.",
			"If a flash was running, connect again and flash again before you leave the unit: an interrupted upload can leave it without bootable firmware."}
	}
	if errors.Is(err, ErrFirmwareErased) && !errors.Is(err, ErrCancelled) && p.Title != err.Error() {
		// The explanation above replaced the error's words: keep what the technician must do.
		p.Checks = append([]string{"Flash the unit again before you disconnect it: its bootloader erased the previous firmware when the upload began."}, p.Checks...)
	}
	return p
}
