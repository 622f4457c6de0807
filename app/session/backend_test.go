package session

import (
	"testing"
)

func TestCheckBackendURL(t *testing.T) {
	ok := map[string]string{
		"https://fleet.example.com":      "https://fleet.example.com",
		"https://fleet.example.com/api/": "https://fleet.example.com/api",
		"http://127.0.0.1:8080":          "http://127.0.0.1:8080",
		"http://localhost:9":             "http://localhost:9",
		"http://[::1]:80":                "http://[::1]:80",
	}
	for in, want := range ok {
		got, err := CheckBackendURL(in)
		if err != nil || got != want {
			t.Errorf("CheckBackendURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"http://fleet.example.com", "http://10.0.0.1:80", "ftp://x", "fleet.example.com",
		"https://user:pw@fleet.example.com", "", "http://127.0.0.1.evil.com", "https://x/?a=b"} {
		if _, err := CheckBackendURL(bad); err == nil {
			t.Errorf("CheckBackendURL(%q) accepted", bad)
		}
	}
}
