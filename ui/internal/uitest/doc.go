// Package uitest holds what the UI packages' tests share: a test's UI goroutine (Loop), waits,
// walks through a widget tree and the texts a user could read there, and the listeners of an
// in-memory session. It imports no data layer, so every page's tests can use it.
package uitest
