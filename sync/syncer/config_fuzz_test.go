package syncer

import (
	"encoding/json"
	"testing"
)

// FuzzParseConfig: any config file gives a config or an error, never a panic, and what is
// accepted survives a save and reload.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"current":"work","profiles":{"work":{"backend":"https://fleet.example.com","email":"d@example.com"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfig(b); err != nil {
			t.Fatalf("accepted config %s does not reload: %v", b, err)
		}
	})
}
