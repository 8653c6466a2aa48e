package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"higate/quota"
	"higate/registry"
)

const (
	adminToken = "higate-bench-admin-token"
	gatewayNum = "+15550000001" // the sandbox instance's simulated number
)

// server is a running gateway under test and its data directory.
type server struct {
	*proc
	dir  string
	base string // http://host:port
}

// newDir makes a fresh data directory.
func (b *bench) newDir(name string) string {
	b.seq++
	dir := filepath.Join(b.work, fmt.Sprintf("%02d-%s", b.seq, name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(err)
	}
	return dir
}

// startServer runs the gateway on dir and waits until instance 0 is up.
func (b *bench) startServer(dir string) (*server, error) {
	p, err := startProc(b.server, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--admin-token", adminToken},
		[]string{"HIGATE_DEBUG_ADDR=127.0.0.1:0"}, filepath.Join(b.profiles, "server.log"), true)
	if err != nil {
		return nil, err
	}
	s := &server{proc: p, dir: dir, base: "http://" + p.addr}
	if err := s.waitUp(30 * time.Second); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// waitUp polls the status endpoint until instance 0 is up.
func (s *server) waitUp(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var st struct{ Status string }
		if _, err := call("GET", s.base+"/v1/gateway/status?instance=0", nil, &st); err == nil && st.Status == "up" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance 0 not up after %s", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// queueDepth is instance 0's jobs not yet sent.
func (s *server) queueDepth() (int, error) {
	var out struct {
		Instances []struct {
			ID         uint64 `json:"id"`
			QueueDepth int    `json:"queue_depth"`
		} `json:"instances"`
	}
	if _, err := call("GET", s.base+"/admin/api/instances", nil, &out, "Authorization", "Bearer "+adminToken); err != nil {
		return 0, err
	}
	for _, in := range out.Instances {
		if in.ID == 0 {
			return in.QueueDepth, nil
		}
	}
	return 0, fmt.Errorf("no instance 0")
}

// waitDrained waits until instance 0's queue is empty.
func (s *server) waitDrained(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := s.queueDepth()
		if err == nil && n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queue not drained after %s: %d left (%v)", timeout, n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// simMessage is a message as the sandbox API lists it.
type simMessage struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// messages is what simulated user `number` has received.
func (s *server) messages(number string) ([]simMessage, error) {
	var out struct{ Messages []simMessage }
	_, err := call("GET", s.base+"/sandbox/api/messages?number="+url.QueryEscape(number), nil, &out)
	return out.Messages, err
}

// fixture is what a data directory was seeded with.
type fixture struct {
	accounts []registry.Credentials
	users    []string // registered with the sandbox number
}

// userNumber is the n-th simulated user: German mobile numbers, which the
// API's number rules accept, a hundred million of them.
func userNumber(n int) string { return "+49151" + fmt.Sprintf("%08d", n) }

// loadUsers are the 1,000 recipients of every accept run: every thousandth
// of the scale stage's million, so the empty and the loaded registry get the
// same requests.
func loadUsers() []string {
	users := make([]string, 1000)
	for i := range users {
		users[i] = userNumber(i * 1000)
	}
	return users
}

// seed loads a data directory through the registry, as the server will find
// it: instance 0, the users registered with the sandbox number, and
// accounts (Enterprise on instance 0, with limits no run reaches).
func seed(dir string, users []string, accounts int) (fixture, error) {
	st, err := registry.Open(dir, registry.Options{})
	if err != nil {
		return fixture{}, err
	}
	defer st.Close()
	if err := st.EnsureInstance(registry.SandboxInstance, "sandbox"); err != nil {
		return fixture{}, err
	}
	regs := make([]registry.Registration, 0, len(users))
	for _, u := range users {
		regs = append(regs, registry.Registration{Gateway: gatewayNum, Recipient: u, Lang: "en", Greeting: "Hi"})
	}
	if err := st.SeedRegistrations(regs); err != nil {
		return fixture{}, err
	}
	nas := make([]registry.NewAccount, accounts)
	for i := range nas {
		nas[i] = registry.NewAccount{Email: "load" + strconv.Itoa(i) + "@bench.invalid", Plan: quota.Enterprise,
			Instance: registry.SandboxInstance, Limits: quota.Limits{Daily: 1 << 30, Recipients: 1 << 30}}
	}
	creds, err := st.SeedAccounts(nas)
	if err != nil {
		return fixture{}, err
	}
	return fixture{accounts: creds, users: users}, nil
}

// sendBuilder makes the requests of an accept run: text sends from the
// fixture's accounts in turn to its users, each text unique by seq.
func sendBuilder(f fixture, prefix string) func(b []byte, seq int64) []byte {
	nAcc := min(len(f.accounts), 100)
	reqs := make([]request, nAcc)
	for i := range reqs {
		reqs[i] = request{method: "POST", path: "/v3/whatsapp/single/text/message/0",
			headers: []string{"X-WM-CLIENT-ID", f.accounts[i].ClientID, "X-WM-CLIENT-SECRET", f.accounts[i].ClientSecret}}
	}
	digits := make([]string, len(f.users))
	for i, u := range f.users {
		digits[i] = u[1:]
	}
	return func(b []byte, seq int64) []byte {
		r := reqs[seq%int64(nAcc)]
		body := make([]byte, 0, 96)
		body = append(body, `{"number":"`...)
		body = append(body, digits[(seq*7919)%int64(len(digits))]...)
		body = append(body, `","message":"`...)
		body = append(body, prefix...)
		body = strconv.AppendInt(body, seq, 10)
		body = append(body, `"}`...)
		r.body = body
		return r.append(b)
	}
}
