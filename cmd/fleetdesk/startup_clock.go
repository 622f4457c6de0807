package main

import "time"

// mainStarted is the fallback start time where the process's own start cannot be read. It sits in
// a file of its own, free of Fyne, so scripts/check-darwin.sh can type-check the platform files
// that use it without the cgo window driver.
var mainStarted = time.Now()
