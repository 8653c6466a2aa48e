package registry_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

const gw = "+15550000001"

type fixture struct {
	t     *testing.T
	dir   string
	store *registry.Store
	now   time.Time
	mu    sync.Mutex
	// metrics, when set before open, are the store's instruments.
	metrics *registry.Metrics
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	f.open()
	t.Cleanup(func() { f.store.Close() })
	if err := f.store.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.AddNumber(registry.Number{Number: gw, Transport: "sim", Role: registry.RoleActive, State: registry.StateActive}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) open() {
	s, err := registry.Open(f.dir, registry.Options{Now: f.clock, JobExpiry: time.Hour, Metrics: f.metrics})
	if err != nil {
		f.t.Fatal(err)
	}
	f.store = s
}

func (f *fixture) clock() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) account(limits quota.Limits) string {
	c, err := f.store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Trial, Limits: limits})
	if err != nil {
		f.t.Fatal(err)
	}
	return c.ClientID
}

func (f *fixture) accept(req registry.SendRequest) registry.Job {
	f.t.Helper()
	acc, err := f.store.Accept(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return acc.Job
}

func TestClaimOrderIsPriorityThenFIFO(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	for _, u := range []string{"+4915100000001", "+4915100000002"} {
		if _, err := f.store.Register(0, gw, u, "en", "Hi"); err != nil {
			t.Fatal(err)
		}
	}
	a := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: "+4915100000001", Text: "first"})
	b := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: "+4915100000002", Text: "second"})
	if _, err := f.store.Greet(0, gw, "+4915100000009", "en", "Hi", "confirmation"); err != nil {
		t.Fatal(err)
	}
	var sys registry.Job
	all, _ := f.store.Jobs("")
	for _, j := range all {
		if j.Priority == registry.PrioritySystem {
			sys = j
		}
	}
	jobs, _, err := f.store.Claim(0, gw, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 || jobs[0].ID != sys.ID || jobs[1].ID != a.ID || jobs[2].ID != b.ID {
		t.Fatalf("order %v", ids(jobs))
	}
	for _, j := range jobs {
		if j.State != registry.JobSending || j.Attempts != 1 || j.MessageID == "" {
			t.Fatalf("claimed job %+v", j)
		}
	}
	// Claiming writes nothing: until Finish records them, they are queued.
	if got, _ := f.store.Job(a.ID); got.State != registry.JobQueued || got.Attempts != 0 {
		t.Fatalf("claim wrote the job: %+v", got)
	}
	var outcomes []registry.Outcome
	for _, j := range jobs {
		outcomes = append(outcomes, registry.Outcome{JobID: j.ID, Via: j.SentVia, Sent: true})
	}
	if err := f.store.Finish(outcomes); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := f.store.Claim(0, gw, 10, nil); len(again) != 0 {
		t.Fatalf("claimed after finishing: %v", ids(again))
	}
	if got, _ := f.store.Job(a.ID); got.State != registry.JobSent || got.Attempts != 1 || got.SentVia != gw {
		t.Fatalf("finished job %+v", got)
	}
}

// Claim skips the jobs its caller still holds, and takes the next ones.
func TestClaimSkipsJobsInHand(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	const user = "+4915100000001"
	f.store.Register(0, gw, user, "en", "Hi")
	a := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "a"})
	b := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "b"})
	jobs, _, err := f.store.Claim(0, gw, 10, func(job uint64) bool { return job == a.ID })
	if err != nil || len(jobs) != 1 || jobs[0].ID != b.ID {
		t.Fatalf("claimed %v %v, want only %d", ids(jobs), err, b.ID)
	}
}

func ids(jobs []registry.Job) []uint64 {
	var out []uint64
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

// TestCrashAfterClaimResendsWithSameMessageID: a crash between claiming and
// recording leaves the job queued; it is claimed again with its WhatsApp ID,
// so WhatsApp drops the resend of one that did go out.
func TestCrashAfterClaimResendsWithSameMessageID(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	f.store.Register(0, gw, "+4915100000001", "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: "+4915100000001", Text: "x"})
	if jobs, _, _ := f.store.Claim(0, gw, 10, nil); len(jobs) != 1 {
		t.Fatal("not claimed")
	}
	f.store.Close()
	f.open()
	jobs, _, _ := f.store.Claim(0, gw, 10, nil)
	if len(jobs) != 1 || jobs[0].MessageID != j.MessageID || jobs[0].Attempts != 1 {
		t.Fatalf("after a crash %+v", jobs)
	}
}

func TestRetryBackoffAndRefundOnPermanentFailure(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	f.store.Register(0, gw, "+4915100000001", "en", "Hi")
	j := f.accept(registry.SendRequest{ClientID: id, Kind: "text", To: "+4915100000001", Text: "x"})
	f.store.Claim(0, gw, 10, nil)
	f.store.Finish([]registry.Outcome{{JobID: j.ID, Retry: true, NotBefore: f.clock().Add(time.Minute), Error: "timeout"}})
	jobs, next, _ := f.store.Claim(0, gw, 10, nil)
	if len(jobs) != 0 || !next.Equal(f.clock().Add(time.Minute)) {
		t.Fatalf("backoff not honoured: %v next %v", ids(jobs), next)
	}
	f.advance(time.Minute)
	jobs, _, _ = f.store.Claim(0, gw, 10, nil)
	if len(jobs) != 1 {
		t.Fatal("not retried after backoff")
	}
	f.store.Finish([]registry.Outcome{{JobID: j.ID, Code: registry.CodeNotOnWhatsApp, Error: "not on WhatsApp", Refund: true}})
	got, _ := f.store.Job(j.ID)
	u, _ := f.store.UsageOf(id)
	if got.State != registry.JobFailed || got.ErrorCode != registry.CodeNotOnWhatsApp || u.Window.Used != 0 {
		t.Fatalf("job %+v usage %+v", got, u)
	}
	if f.store.QueueDepth(0) != 0 {
		t.Fatal("failed job still queued")
	}
}

func TestMediaIsSpooledAndSweptWhenUnused(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	f.store.Register(0, gw, "+4915100000001", "en", "Hi")
	name, err := f.store.SpoolMedia([]byte("%PDF-1.4 hello"))
	if err != nil {
		t.Fatal(err)
	}
	same, _ := f.store.SpoolMedia([]byte("%PDF-1.4 hello"))
	if same != name {
		t.Fatal("not content-addressed")
	}
	j1 := f.accept(registry.SendRequest{ClientID: id, Kind: "document", To: "+4915100000001", Media: name, Filename: "a.pdf"})
	j2 := f.accept(registry.SendRequest{ClientID: id, Kind: "document", To: "+4915100000001", Media: name, Filename: "b.pdf"})
	path := filepath.Join(f.dir, "media", name)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(path, old, old)

	f.store.Claim(0, gw, 10, nil)
	f.store.Finish([]registry.Outcome{{JobID: j1.ID, Sent: true}})
	if n, _ := f.store.SweepMedia(time.Hour); n != 0 {
		t.Fatal("swept media a queued job still needs")
	}
	f.store.Finish([]registry.Outcome{{JobID: j2.ID, Sent: true}})
	if n, _ := f.store.SweepMedia(time.Hour); n != 1 {
		t.Fatalf("swept %d, want 1", n)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("media file still there")
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	c, _ := f.store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Trial, PeriodEnd: f.clock().Add(time.Hour)})
	if _, err := f.store.Authenticate(c.ClientID, c.ClientSecret); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][2]string{{c.ClientID, "wrong"}, {"nobody", c.ClientSecret}, {c.ClientID, ""}} {
		if _, err := f.store.Authenticate(bad[0], bad[1]); registry.ErrorCode(err) != registry.CodeUnauthorized {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	a, _ := f.store.Account(c.ClientID)
	if a.SecretHash == c.ClientSecret || len(a.SecretHash) != 64 {
		t.Fatal("secret stored in the clear")
	}
	f.advance(2 * time.Hour)
	if _, err := f.store.Authenticate(c.ClientID, c.ClientSecret); registry.ErrorCode(err) != registry.CodeUnauthorized {
		t.Fatalf("expired account: %v", err)
	}
}

// TestOutboxOrderPerAccount: only the head of an account's pending
// deliveries is due, so a receiver sees its events in order.
func TestOutboxOrderPerAccount(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	f.store.UpdateAccount(id, func(a *registry.Account) error {
		a.Webhook = registry.Webhook{URL: "http://127.0.0.1/h", Secret: "s", Active: true}
		return nil
	})
	for i := range 3 {
		if ok, err := f.store.AddDelivery(id, "", registry.EventInbound, map[string]int{"n": i}); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	for i := range 3 {
		due, _ := f.store.DueDeliveries(10)
		if len(due) != 1 || string(due[0].Body) != `{"n":`+string(rune('0'+i))+`}` {
			t.Fatalf("step %d: due %+v", i, due)
		}
		if i == 0 { // a failure keeps it at the head
			f.store.DeliveryResult(due[0].ID, registry.Attempt{Status: 500, Error: "HTTP 500", Next: f.clock()}, 20)
			due, _ = f.store.DueDeliveries(10)
		}
		f.store.DeliveryResult(due[0].ID, registry.Attempt{Status: 200, OK: true}, 20)
	}
	if due, _ := f.store.DueDeliveries(10); len(due) != 0 {
		t.Fatalf("left %+v", due)
	}
}
