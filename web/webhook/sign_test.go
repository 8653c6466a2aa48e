package webhook_test

import (
	"errors"
	"testing"
	"time"

	"higate/web/webhook"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"event":"job.status"}`)
	sig := webhook.Sign("whsec_abc", now, body)
	if sig[:13] != "t=1800000000," {
		t.Fatalf("header %q", sig)
	}
	if err := webhook.Verify("whsec_abc", sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		secret, header string
		body           []byte
		at             time.Time
	}{
		"wrong secret": {"other", sig, body, now},
		"changed body": {"whsec_abc", sig, []byte(`{"event":"x"}`), now},
		"too old":      {"whsec_abc", sig, body, now.Add(10 * time.Minute)},
		"garbage":      {"whsec_abc", "v1=zz", body, now},
		"empty":        {"whsec_abc", "", body, now},
		"no signature": {"whsec_abc", "t=1800000000", body, now},
	} {
		if err := webhook.Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); !errors.Is(err, webhook.ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = webhook.Verify("secret", header, body, time.Unix(1_800_000_000, 0), time.Minute)
	})
}
