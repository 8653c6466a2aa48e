package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary run as the server: the crash test starts
// it as a child process and kills it with SIGKILL. The child ends as main
// does (report).
func TestMain(m *testing.M) {
	if os.Getenv("HIGATE_TEST_SERVE") == "1" {
		os.Exit(report(run(context.Background(), os.Args, os.Getenv, os.Stdout, os.Stderr), os.Stderr))
	}
	os.Exit(m.Run())
}

const crashAdmin = "crash-test-admin-token"

// server is a higate child process.
type server struct {
	cmd  *exec.Cmd
	base string
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", dir, "--admin-token", crashAdmin, "--log-level", "error")
	cmd.Env = append(os.Environ(), "HIGATE_TEST_SERVE=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if _, url, ok := strings.Cut(lines.Text(), " listening on "); ok {
			go io.Copy(io.Discard, stdout)
			return &server{cmd: cmd, base: url}
		}
	}
	t.Fatal("server did not start")
	return nil
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func (s *server) call(method, path string, body any, headers ...string) (int, map[string]any, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.base+path, bytes.NewReader(data))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	err = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, err
}

// outcome is what the client learned of one send.
type outcome struct {
	user, text string
	status     int    // 0: no answer (the server died mid-request)
	id         string // job ID when queued
}

// TestCrashLosesNothing kills the server with SIGKILL while it accepts
// sends, several times, and then checks against the simulated network's
// inboxes that every send answered "queued" was delivered exactly once,
// and none answered with an error was delivered at all.
func TestCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	cycles, perCycle := 3, 1000
	if os.Getenv("HIGATE_CRASH_CYCLES") != "" {
		fmt.Sscan(os.Getenv("HIGATE_CRASH_CYCLES"), &cycles)
	}
	dir := t.TempDir()
	srv := startServer(t, dir)
	_, acct, err := srv.call("POST", "/admin/api/accounts", map[string]any{"email": "crash@example.com", "plan": "enterprise",
		"instance": 0, "limits": map[string]int{"daily": 1_000_000, "recipients": 100}}, "Authorization", "Bearer "+crashAdmin)
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"X-WM-CLIENT-ID", acct["client_id"].(string), "X-WM-CLIENT-SECRET", acct["client_secret"].(string)}
	users := make([]string, 10)
	for i := range users {
		users[i] = fmt.Sprintf("+4917000000%03d", i)
		if code, _, err := srv.call("POST", "/sandbox/api/inbound", map[string]string{"from": users[i], "to": "+15550000001", "text": "Hi"}); err != nil || code != 200 {
			t.Fatalf("greet: %d %v", code, err)
		}
	}

	var all []outcome
	for cycle := range cycles {
		results := make([]outcome, perCycle)
		var wg sync.WaitGroup
		next := make(chan int)
		killAt := perCycle/4 + rand.N(perCycle/2)
		var answered sync.WaitGroup
		answered.Add(killAt)
		var once sync.Once
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					o := outcome{user: users[i%len(users)], text: fmt.Sprintf("api: c%d-%d", cycle, i)}
					if i%17 == 0 {
						o.user = "+4917099999999" // never greeted: must get 472 and never arrive
					}
					code, body, err := srv.call("POST", "/v3/whatsapp/single/text/message/0", map[string]string{"number": o.user, "message": o.text}, auth...)
					if err == nil {
						o.status = code
						if code == 200 {
							o.id, _ = body["id"].(string)
						}
					}
					results[i] = o
					if i < killAt {
						answered.Done()
					}
				}
			}()
		}
		go func() {
			answered.Wait()
			once.Do(srv.kill)
		}()
		for i := range perCycle {
			next <- i
		}
		close(next)
		wg.Wait()
		once.Do(srv.kill)
		all = append(all, results...)
		srv = startServer(t, dir)
	}
	defer srv.kill()

	// After the last restart everything queued must arrive, exactly once.
	queued, refused := 0, 0
	want := map[string]string{} // message text -> message ID
	for _, o := range all {
		switch o.status {
		case 200:
			queued++
			deadline := time.Now().Add(30 * time.Second)
			for {
				_, job, err := srv.call("GET", "/v3/whatsapp/jobs/"+o.id, nil, auth...)
				if err == nil && (job["status"] == "sent" || job["status"] == "delivered" || job["status"] == "read") {
					want[o.text] = job["message_id"].(string)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("job %s (%s) not sent: %v %v", o.id, o.text, job, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		case 0:
		default:
			refused++
		}
	}
	seen := map[string]int{}
	byText := map[string]string{}
	for _, u := range append(users, "+4917099999999") {
		_, body, err := srv.call("GET", "/sandbox/api/messages?number="+strings.Replace(u, "+", "%2B", 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range body["messages"].([]any) {
			m := m.(map[string]any)
			text := m["text"].(string)
			if !strings.HasPrefix(text, "api: ") {
				continue
			}
			seen[m["id"].(string)]++
			byText[text] = m["id"].(string)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	for text, id := range want {
		if byText[text] != id {
			t.Errorf("queued %q (message %s) not delivered (got %q)", text, id, byText[text])
		}
	}
	for _, o := range all {
		if o.status != 0 && o.status != 200 {
			if _, ok := byText[o.text]; ok {
				t.Errorf("refused send %q (status %d) was delivered", o.text, o.status)
			}
		}
	}
	t.Logf("%d kill -9 cycles: %d queued, %d refused, %d unanswered; %d delivered, 0 lost, 0 duplicated",
		cycles, queued, refused, len(all)-queued-refused, len(seen))
	if queued == 0 || refused == 0 {
		t.Fatalf("test did not exercise both paths: queued %d refused %d", queued, refused)
	}
}

// TestCrashWhileJobsAreScheduled kills the server with SIGKILL while jobs
// wait for their send_at: some fall due while it is dead and go out as it
// starts again; the others survive a second kill and go out on time, by
// the dispatcher's timer. Each arrives exactly once, never before its
// send_at, and within seconds of it (or of the restart, if that was later).
func TestCrashWhileJobsAreScheduled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	srv := startServer(t, dir)
	_, acct, err := srv.call("POST", "/admin/api/accounts", map[string]any{"email": "sched@example.com", "plan": "enterprise",
		"instance": 0, "limits": map[string]int{"daily": 1_000_000, "recipients": 100}}, "Authorization", "Bearer "+crashAdmin)
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"X-WM-CLIENT-ID", acct["client_id"].(string), "X-WM-CLIENT-SECRET", acct["client_secret"].(string)}
	users := make([]string, 5)
	for i := range users {
		users[i] = fmt.Sprintf("+4917000001%03d", i)
		if code, _, err := srv.call("POST", "/sandbox/api/inbound", map[string]string{"from": users[i], "to": "+15550000001", "text": "Hi"}); err != nil || code != 200 {
			t.Fatalf("greet: %d %v", code, err)
		}
	}
	base := time.Now().Truncate(time.Second).Add(time.Second)
	early, late := base.Add(2*time.Second), base.Add(6*time.Second)
	type job struct {
		text   string
		sendAt time.Time
	}
	var jobs []job
	for i := range 40 {
		j := job{text: fmt.Sprintf("api: s%d", i), sendAt: early}
		if i%2 == 1 {
			j.sendAt = late
		}
		code, body, err := srv.call("POST", "/v3/whatsapp/single/text/message/0",
			map[string]string{"number": users[i%len(users)], "message": j.text, "send_at": j.sendAt.Format(time.RFC3339)}, auth...)
		if err != nil || code != 200 || body["status"] != "scheduled" {
			t.Fatalf("schedule %s: %d %v %v", j.text, code, body, err)
		}
		jobs = append(jobs, j)
	}
	srv.kill()
	for time.Now().Before(early.Add(200 * time.Millisecond)) { // the early ones fall due while it is dead
		time.Sleep(20 * time.Millisecond)
	}
	srv = startServer(t, dir)
	restarted := time.Now()
	delivered := func() map[string][]time.Time {
		t.Helper()
		at := map[string][]time.Time{}
		for _, u := range users {
			_, body, err := srv.call("GET", "/sandbox/api/messages?number="+strings.Replace(u, "+", "%2B", 1), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range body["messages"].([]any) {
				m := m.(map[string]any)
				if text := m["text"].(string); strings.HasPrefix(text, "api: s") {
					sent, _ := time.Parse(time.RFC3339Nano, m["at"].(string))
					at[text] = append(at[text], sent)
				}
			}
		}
		return at
	}
	waitFor := func(sendAt time.Time) map[string][]time.Time {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			at := delivered()
			n := 0
			for _, j := range jobs {
				if j.sendAt.Equal(sendAt) && len(at[j.text]) > 0 {
					n++
				}
			}
			if n == 20 {
				return at
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of 20 jobs due at %s delivered", n, sendAt.Format(time.RFC3339))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(early)
	srv.kill() // the late ones are still scheduled
	srv = startServer(t, dir)
	defer srv.kill()
	at := waitFor(late)
	for _, j := range jobs {
		times := at[j.text]
		if len(times) != 1 {
			t.Errorf("%s delivered %d times", j.text, len(times))
			continue
		}
		if times[0].Before(j.sendAt) {
			t.Errorf("%s delivered at %s, before its send_at %s", j.text, times[0].Format(time.RFC3339Nano), j.sendAt.Format(time.RFC3339))
		}
		// On time: within seconds of send_at, or of the restart that
		// brought it out (not at the dispatcher's once-a-minute look).
		due := j.sendAt
		if due.Before(restarted) && j.sendAt.Equal(early) {
			due = restarted
		}
		if d := times[0].Sub(due); d > 10*time.Second {
			t.Errorf("%s delivered %s after it was due", j.text, d)
		}
	}
}
