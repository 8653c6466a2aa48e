package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestHelpAndVersionSucceed: asking for the usage or the version is not
// an error; it goes to stdout and exits 0. An unknown command or flag is.
func TestHelpAndVersionSucceed(t *testing.T) {
	tests := []struct {
		args       []string
		ok         bool
		stdout     string // contained in stdout
		stderr     string // contained in stderr
		noStderrOK bool
	}{
		{[]string{"--version"}, true, "higate dev", "", true},
		{[]string{"-version"}, true, "higate dev", "", true},
		{[]string{"version"}, true, "higate dev", "", true},
		{[]string{"-h"}, true, "usage: higate <command>", "", true},
		{[]string{"--help"}, true, "usage: higate <command>", "", true},
		{[]string{"help"}, true, "usage: higate <command>", "", true},
		{[]string{"serve", "-h"}, true, "-addr", "", true},
		{[]string{"serve", "--help"}, true, "-admin-token", "", true},
		{[]string{"serve", "--data", "x", "-h"}, true, "-data", "", true},
		{[]string{"pair", "-h"}, true, "-number", "", true},
		{[]string{"check", "--help"}, true, "-data", "", true},
		{[]string{"rotate", "-h"}, true, "-to", "", true},
		{[]string{"numbers", "-h"}, true, "-server", "", true},
		{[]string{}, false, "", "usage: higate <command>", false},
		{[]string{"bogus"}, false, "", "usage: higate <command>", false},
		{[]string{"--bogus"}, false, "", "usage: higate <command>", false},
		{[]string{"serve", "--bogus"}, false, "", "flag provided but not defined", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"higate"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			if (err == nil) != tt.ok {
				t.Fatalf("run returned %v, want ok=%v", err, tt.ok)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.stderr)
			}
			if tt.noStderrOK && stderr.Len() != 0 {
				t.Errorf("stderr is not empty: %q", stderr.String())
			}
			if code := report(err, &stderr); (code == 0) != tt.ok {
				t.Errorf("exit status %d", code)
			}
		})
	}
}

// TestReportPrintsOneLine: main prints an error as one line, prefixed.
func TestReportPrintsOneLine(t *testing.T) {
	var out bytes.Buffer
	if code := report(errors.New("first\nsecond\n\tthird"), &out); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if got, want := out.String(), "higate: first second third\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	out.Reset()
	if code := report(nil, &out); code != 0 || out.Len() != 0 {
		t.Errorf("nil error: status %d, printed %q", code, out.String())
	}
}

// pairingAPI stands in for the admin API of a gateway pairing a number: each
// poll of the pairing state gets the next of states, then the last again.
type pairingAPI struct {
	mu     sync.Mutex
	states []string // JSON bodies
	polls  int
}

func (p *pairingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer pair-test-token-0123456789" {
		http.Error(w, `{"code":401,"message":"no"}`, 401)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/admin/api/instances/0/numbers":
		w.Write([]byte(`{"number":"+4915112345678","state":"pairing"}`))
	case r.Method == "GET" && r.URL.Path == "/admin/api/numbers/+4915112345678/pairing":
		p.mu.Lock()
		i := min(p.polls, len(p.states)-1)
		p.polls++
		p.mu.Unlock()
		w.Write([]byte(p.states[i]))
	default:
		http.Error(w, `{"code":404,"message":"not found"}`, 404)
	}
}

// TestPairPrintsEachStateOnce polls a pairing that stays in each state for
// several polls: every state is printed once, when it changes, and not
// at every poll.
func TestPairPrintsEachStateOnce(t *testing.T) {
	api := &pairingAPI{states: []string{
		`{"step":"waiting","message":"connecting to WhatsApp","updated":"2026-03-01T12:00:00Z"}`,
		`{"step":"waiting","message":"connecting to WhatsApp","updated":"2026-03-01T12:00:01Z"}`,
		`{"step":"waiting","message":"connecting to WhatsApp","updated":"2026-03-01T12:00:02Z"}`,
		`{"step":"code","qr":"2@first-code","updated":"2026-03-01T12:00:03Z"}`,
		`{"step":"code","qr":"2@first-code","updated":"2026-03-01T12:00:04Z"}`,
		`{"step":"code","qr":"2@first-code","updated":"2026-03-01T12:00:05Z"}`,
		`{"step":"error","message":"websocket closed","updated":"2026-03-01T12:00:06Z"}`,
		`{"step":"error","message":"websocket closed","updated":"2026-03-01T12:00:07Z"}`,
		`{"step":"error","message":"websocket closed","updated":"2026-03-01T12:00:08Z"}`,
		`{"step":"code","qr":"2@second-code","updated":"2026-03-01T12:00:09Z"}`,
		`{"step":"code","qr":"2@second-code","updated":"2026-03-01T12:00:10Z"}`,
		`{"step":"scanned","updated":"2026-03-01T12:00:11Z"}`,
		`{"step":"scanned","updated":"2026-03-01T12:00:12Z"}`,
		`{"step":"success","updated":"2026-03-01T12:00:13Z"}`,
	}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"higate", "pair", "--server", srv.URL, "--admin-token", "pair-test-token-0123456789",
		"--number", "+4915112345678", "--poll", "1ms"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("pair: %v (stderr %q)", err, stderr.String())
	}
	if api.polls != len(api.states) {
		t.Errorf("polled %d times, want %d", api.polls, len(api.states))
	}
	out := stdout.String()
	for line, want := range map[string]int{
		"Waiting for WhatsApp (connecting to WhatsApp)...":     1,
		"Scan with WhatsApp > Linked devices > Link a device:": 2, // two codes
		"The phone scanned the code; finishing the link...":    1,
		"Linked. The number connects on its own from now on.":  1,
	} {
		if got := strings.Count(out, line); got != want {
			t.Errorf("%q printed %d times, want %d", line, got, want)
		}
	}
	if got := strings.Count(stderr.String(), "pairing: websocket closed - retrying"); got != 1 {
		t.Errorf("the error was printed %d times, want once: %q", got, stderr.String())
	}
}
