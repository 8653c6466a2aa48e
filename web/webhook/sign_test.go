package webhook_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"higate/web/openapi"
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

// The spec's example X-Higate-Signature is what Sign makes of the ping the
// header's description shows, sent at its time with the secret it names,
// and that ping is the ping webhook's example: a receiver's author can test
// their verification with them.
func TestSpecSignatureExampleVerifies(t *testing.T) {
	const (
		secret = "whsec_example0123456789"
		body   = `{"event":"ping","at":"2026-03-01T12:00:00Z"}` // as Sender.Test writes it
	)
	doc, err := openapi.Parse()
	if err != nil {
		t.Fatal(err)
	}
	param := doc.Components.Parameters["WebhookSignature"]
	if param == nil || len(param.Value.Schema.Value.Examples) != 1 {
		t.Fatal("components/parameters/WebhookSignature has no example")
	}
	for _, s := range []string{secret, body} {
		if !strings.Contains(param.Value.Description, "`"+s+"`") {
			t.Errorf("the description of X-Higate-Signature does not show %s", s)
		}
	}
	ping, _ := json.Marshal(doc.Webhooks["ping"].Post.RequestBody.Value.Content.Get("application/json").Example)
	if !jsonEqual(ping, []byte(body)) {
		t.Errorf("the ping webhook's example is %s, the description signs %s", ping, body)
	}
	want := webhook.Sign(secret, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), []byte(body))
	if got := param.Value.Schema.Value.Examples[0]; got != want {
		t.Errorf("the example signature is %v, want %s", got, want)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1800000000,v1=00", []byte("{}"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		_ = webhook.Verify("secret", header, body, time.Unix(1_800_000_000, 0), time.Minute)
	})
}
