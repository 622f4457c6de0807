//go:build pin

// Package pin keeps the project's chosen modules in go.mod while the packages that use them are
// being written; it is never built.
package pin

import (
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "github.com/creack/pty"
	_ "github.com/fxamacker/cbor/v2"
	_ "github.com/getkin/kin-openapi/openapi3filter"
	_ "github.com/go-resty/resty/v2"
	_ "github.com/paulmach/orb/maptile"
	_ "github.com/zalando/go-keyring"
	_ "go.bug.st/serial"
	_ "go.bug.st/serial/enumerator"
	_ "modernc.org/sqlite"
)
