package localeenv

import "testing"

func TestFix(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string // LANGUAGE afterwards; "-" when left alone
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "C.utf8", "LANG": "de_DE.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "POSIX.UTF-8"}, "en"},
		{map[string]string{"LANG": "C"}, "-"},
		{map[string]string{"LANG": "POSIX"}, "-"},
		{map[string]string{}, "-"},
		{map[string]string{"LANG": "en_US.UTF-8"}, "-"},
		{map[string]string{"LANG": "de_AT.UTF-8@euro"}, "-"},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr:C:de"}, "fr:de"},
		{map[string]string{"LANG": "sr_RS@latin"}, "sr_RS"},
		{map[string]string{"LANG": "es_419.UTF-8"}, "-"},
	} {
		got := "-"
		Fix(func(k string) string { return c.env[k] }, func(k, v string) error {
			if k != "LANGUAGE" {
				t.Fatalf("set %s", k)
			}
			got = v
			return nil
		})
		if got != c.want {
			t.Errorf("%v: LANGUAGE %q, want %q", c.env, got, c.want)
		}
	}
}
