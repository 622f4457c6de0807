//go:build !unix && !windows

package auth

import "os"

// Elsewhere (wasm, plan9) there is one FleetDesk process at most: no lock is needed.
func tryLock(*os.File) error { return nil }

func unlock(*os.File) {}
