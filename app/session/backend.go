package session

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// CheckBackendURL accepts https URLs, and plain http only for loopback hosts (the simulated
// backend on this machine); anything else would send passwords and tokens in the clear. It is the
// one rule for backend URLs: the backend client refuses any other, and the sign-in screen, the CLI
// flags and the config file ask it first; its errors are worded for the sign-in screen. It
// returns the URL in its canonical form (no trailing slash).
func CheckBackendURL(raw string) (string, error) {
	trimmed := strings.TrimSpace(raw)
	if trimmed == "" {
		return "", errors.New("enter the backend URL, for example https://fleet.example.com")
	}
	u, err := url.Parse(trimmed)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "", fmt.Errorf("%q is not a URL: use the form https://fleet.example.com", raw)
	}
	if u.User != nil {
		return "", errors.New("the backend URL must not carry a user name or password")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("the backend URL must start with https:// (plain http is allowed only for a backend on this computer, 127.0.0.1 or localhost)")
		}
	default:
		return "", fmt.Errorf("the backend URL must start with https:// (not %s://)", u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("the backend URL %q must not have a query (?...) or fragment (#...)", raw)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
