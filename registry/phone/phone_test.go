package phone_test

import (
	"testing"

	"higate/registry/phone"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"+49 151 1234-5678":   "+4915112345678",
		"4915112345678":       "+4915112345678",
		"(49) 15112345678":    "+4915112345678",
		"+1 (202) 555-0108":   "+12025550108",
		"12025550108":         "+12025550108",
		"+15550000001":        "+15550000001",
		"+31612345678":        "+31612345678",
		"+62 812 3456 7890":   "+6281234567890",
		"+852 6123 4567":      "+85261234567",
		"+44 (0)20 7946 0958": "+442079460958", // the UK's national prefix, written after the country code
	} {
		got, err := phone.Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "12345", "+0049151", "2025550108x", "1234567890123456", "+999 1234 5678",
		" 810000000000"} { // would lose a 0 each time it was normalized (found by FuzzNormalize)
		if got, err := phone.Normalize(in); err == nil {
			t.Errorf("Normalize(%q) = %q, want error", in, got)
		}
	}
}

func TestMask(t *testing.T) {
	if got := phone.Mask("+4915112345678"); got != "+49********678" {
		t.Fatal(got)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+4915112345678", "(49) 151", "+1 202 555 0108", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := phone.Normalize(s)
		if err != nil {
			return
		}
		again, err := phone.Normalize(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, got, again, err)
		}
	})
}
