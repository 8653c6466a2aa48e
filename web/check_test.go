package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

type numberCheck struct {
	Number     string `json:"number"`
	Valid      bool   `json:"valid"`
	Registered bool   `json:"registered"`
	OptedOut   bool   `json:"opted_out"`
	OnWhatsApp *bool  `json:"on_whatsapp"`
}

func (e *env) check(a account, numbers ...string) ([]numberCheck, response) {
	e.t.Helper()
	r := e.send(a, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": numbers})
	if r.status != 200 {
		e.t.Fatalf("check: %d %s", r.status, r.raw)
	}
	var out struct{ Numbers []numberCheck }
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil {
		e.t.Fatal(err)
	}
	if len(out.Numbers) != len(numbers) {
		e.t.Fatalf("%d answers for %d numbers: %s", len(out.Numbers), len(numbers), r.raw)
	}
	return out.Numbers, r
}

func onWhatsApp(c numberCheck) string {
	if c.OnWhatsApp == nil {
		return "null"
	}
	return fmt.Sprint(*c.OnWhatsApp)
}

func TestCheckNumbers(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	const stopped, gone = "+4915100000031", "+4915100000032"
	e.register(user, sandboxGW)
	e.register(stopped, sandboxGW)
	e.greet(stopped, sandboxGW, "STOP")
	e.eventually("opt-out", func() bool { reg, err := e.store.Registration(sandboxGW, stopped); return err == nil && !reg.Active() })
	if r := e.do("POST", "/sandbox/api/users/"+gone, map[string]any{"on_whatsapp": false}); r.status != 200 {
		t.Fatalf("user off WhatsApp: %d %s", r.status, r.raw)
	}
	before := e.rateRemaining(a)

	got, r := e.check(a, "1 (202) 555-0108", "4915100000031", gone, "12345", "+4915100000033")
	want := []string{
		"+12025550108 valid registered on_whatsapp=true",
		"+4915100000031 valid opted_out on_whatsapp=true",
		"+4915100000032 valid on_whatsapp=false",
		"12345 on_whatsapp=null",
		"+4915100000033 valid on_whatsapp=true",
	}
	for i, c := range got {
		s := c.Number
		for _, f := range []struct {
			on   bool
			name string
		}{{c.Valid, "valid"}, {c.Registered, "registered"}, {c.OptedOut, "opted_out"}} {
			if f.on {
				s += " " + f.name
			}
		}
		s += " on_whatsapp=" + onWhatsApp(c)
		if s != want[i] {
			t.Errorf("number %d: %s, want %s", i, s, want[i])
		}
	}
	if !strings.Contains(r.raw, `"on_whatsapp":null`) {
		t.Errorf("an unknown answer is not null: %s", r.raw)
	}
	if r.header.Get("RateLimit-Limit") != "50" {
		t.Errorf("rate headers %v", r.header)
	}
	if after := e.rateRemaining(a); after != before {
		t.Fatalf("the check counted against the quota: %s remaining, was %s", after, before)
	}

	// Asked again, the answers come from the cache: the network is not
	// asked about those numbers a second time.
	asked := e.net.Lookups()
	e.check(a, user, gone)
	if e.net.Lookups() != asked {
		t.Fatalf("cached numbers asked again: %d look-ups, was %d", e.net.Lookups(), asked)
	}
}

// The gateway number may look up 100 numbers at once, then one more every
// 36 seconds; what it cannot ask now is null, and nothing waits.
func TestCheckNumbersRateLimit(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	numbers := make([]string, 100)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+49151000%05d", 100+i)
	}
	got, _ := e.check(a, numbers...)
	for i, c := range got {
		if onWhatsApp(c) != "true" {
			t.Fatalf("number %d of the first 100: %+v", i, c)
		}
	}
	got, _ = e.check(a, "+4915100009001", numbers[0])
	if onWhatsApp(got[0]) != "null" || onWhatsApp(got[1]) != "true" {
		t.Fatalf("with the allowance used up: %+v", got)
	}
	e.clock.Advance(36 * time.Second)
	got, _ = e.check(a, "+4915100009001", "+4915100009002")
	if onWhatsApp(got[0]) != "true" || onWhatsApp(got[1]) != "null" {
		t.Fatalf("36 s later: %+v", got)
	}
}

func TestCheckNumbersRefusals(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	other := e.newAccount(map[string]any{"email": "corp@example.com", "plan": "enterprise"})
	many := make([]string, 101)
	for i := range many {
		many[i] = "4915100000001"
	}
	for _, c := range []struct {
		name    string
		acct    account
		path    string
		body    any
		code    int
		message string
	}{
		{"over 100", a, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": many}, 400, "numbers has 101 items"},
		{"none", a, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": []string{}}, 400, "numbers is missing"},
		{"not a list", a, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": "4915100000001"}, 400, "numbers must be an array of strings"},
		{"bad secret", account{a.id, "wrong"}, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": []string{"1"}}, 474, ""},
		{"not the account's instance", other, "/v3/whatsapp/numbers/check/0", map[string]any{"numbers": []string{"1"}}, 474, ""},
	} {
		r := e.send(c.acct, c.path, c.body)
		if r.status != c.code || r.str("status") != "error" || r.str("remedy") == "" || !strings.Contains(r.str("message"), c.message) {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
		}
	}
}
