package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"higate/registry"
)

// burst sends n requests at once, each from its own goroutine, and returns
// their responses in order.
func (e *env) burst(n int, req func(i int) response) []response {
	out := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = req(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// sendAsync is send for goroutines other than the test's, which must not
// call t.Fatal: a failed request is reported and comes back as status 0.
func (e *env) sendAsync(a account, path string, body map[string]any, extra ...string) response {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(data))
	headers := append(a.headers(), extra...)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Errorf("POST %s: %v", path, err)
		return response{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

// delivered counts what user received of the API's messages, by text.
func (e *env) delivered(user string) map[string]int {
	n := map[string]int{}
	for _, m := range e.net.Messages(user) {
		if fromAPI(m) {
			n[m.Text]++
		}
	}
	return n
}

// TestQuotaExactAt1000ConcurrentSends: a daily limit of 300 lets exactly
// 300 of 1,000 simultaneous sends through, and all 300 arrive once.
func TestQuotaExactAt1000ConcurrentSends(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "enterprise", "instance": 0,
		"limits": map[string]int{"daily": 300, "recipients": 1000}})
	e.register(user, sandboxGW)
	rs := e.burst(1000, func(i int) response {
		return e.sendAsync(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": fmt.Sprintf("api: q%d", i)})
	})
	codes := map[int]int{}
	var accepted []string
	for i, r := range rs {
		codes[r.status]++
		if r.status == 200 {
			accepted = append(accepted, fmt.Sprintf("api: q%d", i))
		}
	}
	if codes[200] != 300 || codes[469] != 700 {
		t.Fatalf("codes %v, want 300 accepted and 700 refused with 469", codes)
	}
	if u, _ := e.store.UsageOf(a.id); u.Window.Used != 300 {
		t.Fatalf("window counts %d, want 300", u.Window.Used)
	}
	if jobs, _ := e.store.Jobs(a.id); len(jobs) != 300 {
		t.Fatalf("%d jobs, want 300", len(jobs))
	}
	e.waitMessages(user, 300, fromAPI)
	got := e.delivered(user)
	for _, text := range accepted {
		if got[text] != 1 {
			t.Errorf("%q delivered %d times", text, got[text])
		}
	}
	if len(got) != 300 {
		t.Fatalf("%d distinct messages delivered, want 300", len(got))
	}
}

// TestRecipientCapExactUnderConcurrency: with a cap of 10 recipients, 500
// simultaneous sends to 50 registered users reach exactly 10 of them.
func TestRecipientCapExactUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "enterprise", "instance": 0,
		"limits": map[string]int{"daily": 100000, "recipients": 10}})
	users := make([]string, 50)
	for i := range users {
		users[i] = fmt.Sprintf("+4915112399%03d", i)
		if _, err := e.store.Register(0, sandboxGW, users[i], "en", "Hi"); err != nil {
			t.Fatal(err)
		}
	}
	rs := e.burst(500, func(i int) response {
		return e.sendAsync(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": users[i%len(users)], "message": fmt.Sprintf("api: r%d", i)})
	})
	reached := map[string]bool{}
	for i, r := range rs {
		switch r.status {
		case 200:
			reached[users[i%len(users)]] = true
		case 473:
		default:
			t.Fatalf("send %d: %d %s", i, r.status, r.raw)
		}
	}
	if len(reached) != 10 {
		t.Fatalf("%d recipients reached, want 10", len(reached))
	}
	if u, _ := e.store.UsageOf(a.id); u.Recipients != 10 {
		t.Fatalf("usage counts %d recipients, want 10", u.Recipients)
	}
}

// TestIdempotencyKeysUnderConcurrentRetries: 50 sends, each retried 20
// times at once with its Idempotency-Key, make 50 jobs, 50 quota units and
// 50 messages, each answered with one ID however often it was retried.
func TestIdempotencyKeysUnderConcurrentRetries(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "enterprise", "instance": 0,
		"limits": map[string]int{"daily": 1000, "recipients": 1000}})
	e.register(user, sandboxGW)
	const keys, retries = 50, 20
	rs := e.burst(keys*retries, func(i int) response {
		k := i % keys
		return e.sendAsync(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": user, "message": fmt.Sprintf("api: k%d", k)},
			"Idempotency-Key", fmt.Sprintf("key-%d", k))
	})
	ids := map[int]string{}
	distinct := map[string]bool{}
	for i, r := range rs {
		if r.status != 200 || r.str("id") == "" {
			t.Fatalf("retry %d: %d %s", i, r.status, r.raw)
		}
		k := i % keys
		if ids[k] == "" {
			ids[k] = r.str("id")
		}
		if r.str("id") != ids[k] {
			t.Fatalf("key-%d answered with jobs %s and %s", k, ids[k], r.str("id"))
		}
		distinct[r.str("id")] = true
	}
	if len(distinct) != keys {
		t.Fatalf("%d distinct jobs, want %d", len(distinct), keys)
	}
	if u, _ := e.store.UsageOf(a.id); u.Window.Used != keys {
		t.Fatalf("window counts %d, want %d", u.Window.Used, keys)
	}
	e.waitMessages(user, keys, fromAPI)
	time.Sleep(50 * time.Millisecond) // room for a duplicate to show up
	for text, n := range e.delivered(user) {
		if n != 1 {
			t.Errorf("%q delivered %d times", text, n)
		}
	}
	if got := len(e.delivered(user)); got != keys {
		t.Fatalf("%d messages delivered, want %d", got, keys)
	}
}

// TestFailoverDuringLoad bans the active number while sends flow. Every
// send answered "queued" arrives exactly once, none is sent cold (from the
// standby to a user before they greeted it), sends after the failover to
// users who had not greeted the standby are refused with its wa.me link,
// and the queued ones wait for the greeting and then go.
func TestFailoverDuringLoad(t *testing.T) {
	e := newEnv(t)
	const standby = "+15550000002"
	if r := e.admin("POST", "/admin/api/instances/0/numbers", map[string]string{"number": standby, "transport": "sim", "role": "standby"}); r.status != 200 {
		t.Fatalf("add standby: %d %s", r.status, r.raw)
	}
	e.eventually("standby connected", func() bool { n, _ := e.store.Number(standby); return n.State == registry.StateStandby })
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "enterprise", "instance": 0,
		"limits": map[string]int{"daily": 100000, "recipients": 1000}})
	users := make([]string, 20)
	greeted := make([]time.Time, len(users)) // when each user greeted the standby; zero until then
	for i := range users {
		users[i] = fmt.Sprintf("+4915112377%03d", i)
		e.register(users[i], sandboxGW)
	}
	// Half the users know the standby already.
	for i := 0; i < len(users); i += 2 {
		greeted[i] = time.Now()
		e.register(users[i], standby)
	}

	var mu sync.Mutex
	status := map[string]int{} // text -> HTTP status
	var stop atomic.Bool
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := seq.Add(1)
				to := users[int(i)%len(users)]
				text := fmt.Sprintf("api: f%d", i)
				r := e.sendAsync(a, "/v3/whatsapp/single/text/message/0", map[string]any{"number": to, "message": text})
				mu.Lock()
				status[text] = r.status
				mu.Unlock()
				if r.status == 472 && !strings.Contains(r.str("remedy"), "wa.me/15550000002") {
					t.Errorf("472 without the standby's link: %s", r.raw)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"})
	e.eventually("standby active", func() bool { n, _ := e.store.Number(standby); return n.Role == registry.RoleActive })
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	// Sends cut off by the ban wait for their retry backoff, which runs on
	// the registry's clock.
	e.clock.Advance(time.Minute)
	e.gw.Wake(0)
	// The rest greet the new number; what waited for them goes now.
	for i := 1; i < len(users); i += 2 {
		greeted[i] = time.Now()
		e.register(users[i], standby)
	}
	queued, refused := 0, 0
	for _, code := range status {
		switch code {
		case 200:
			queued++
		case 472, 503:
			refused++
		default:
			t.Fatalf("unexpected status %d", code)
		}
	}
	if queued == 0 || refused == 0 {
		t.Fatalf("the load did not span the failover: %d queued, %d refused", queued, refused)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n < queued; {
		n = 0
		for _, u := range users {
			n += len(e.delivered(u))
		}
		if time.Now().After(deadline) {
			jobs, _ := e.store.Jobs(a.id)
			states := map[string]int{}
			for _, j := range jobs {
				states[string(j.State)+"/"+j.Waiting+"/"+j.Error]++
			}
			t.Fatalf("%d of %d queued sends delivered; jobs: %v", n, queued, states)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a duplicate to show up
	got := map[string]int{}
	for i, u := range users {
		for _, m := range e.net.Messages(u) {
			if !fromAPI(m) {
				continue
			}
			got[m.Text]++
			if m.From == standby && m.At.Before(greeted[i]) {
				t.Errorf("sent cold: %q from the standby at %s, before %s greeted it at %s", m.Text, m.At, u, greeted[i])
			}
		}
	}
	for text, code := range status {
		switch {
		case code == 200 && got[text] != 1:
			t.Errorf("queued %q delivered %d times", text, got[text])
		case code != 200 && got[text] != 0:
			t.Errorf("refused (%d) %q delivered", code, text)
		}
	}
	t.Logf("%d sends across the failover: %d queued, %d refused; all queued delivered once, none cold", len(status), queued, refused)
}
