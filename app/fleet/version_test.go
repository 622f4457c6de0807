package fleet

import "testing"

func TestCompareVersions(t *testing.T) {
	ordered := []string{"1.9", "1.10", "2.0.0", "2.0.1", "2.9.3", "2.10.0", "10.0", "10.0.beta"}
	for i := 1; i < len(ordered); i++ {
		if CompareVersions(ordered[i-1], ordered[i]) >= 0 || CompareVersions(ordered[i], ordered[i-1]) <= 0 {
			t.Errorf("%s vs %s ordered wrongly", ordered[i-1], ordered[i])
		}
	}
	if CompareVersions("3.1.0", "3.1.0") != 0 {
		t.Error("equal versions differ")
	}
}
