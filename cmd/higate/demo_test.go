package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoRun is one `higate serve --demo` run in-process, as far as its
// printed credentials.
type demoRun struct {
	base, clientID, secret, adminToken string
	metrics                            string // the --metrics-addr listener's URL, if one was asked for
	stop                               func()
}

// startDemo runs serve --demo on dir in this process until the test
// calls stop, and reads what it prints up to the demo's last curl line.
func startDemo(t *testing.T, dir string, extra ...string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"higate", "serve", "--demo", "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "error"}, extra...)
	go func() {
		err := run(ctx, args, func(string) string { return "" }, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	d := &demoRun{}
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		line := lines.Text()
		field := func(label string) string { return strings.TrimSpace(strings.TrimPrefix(line, label)) }
		switch {
		case strings.Contains(line, " listening on "):
			_, d.base, _ = strings.Cut(line, " listening on ")
		case strings.HasPrefix(line, "higate metrics on "):
			d.metrics = strings.Fields(line)[3]
		case strings.HasPrefix(line, "  client ID:"):
			d.clientID = field("  client ID:")
		case strings.HasPrefix(line, "  client secret:"):
			d.secret = field("  client secret:")
		case strings.HasPrefix(line, "  admin token:"):
			d.adminToken = field("  admin token:")
		}
		if strings.Contains(line, "/admin/api/instances") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	d.stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
	if d.base == "" || d.clientID == "" || d.secret == "" || d.adminToken == "" {
		d.stop()
		t.Fatalf("serve --demo printed no credentials: %+v", d)
	}
	return d
}

// call makes one request to the demo server and returns the status.
func (d *demoRun) call(t *testing.T, method, path string, body any, headers ...string) int {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, d.base+path, bytes.NewReader(data))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// works checks on the running server d that the credentials of c are
// accepted: a send with the client ID and secret is queued, and the admin
// token opens the admin API.
func (d *demoRun) works(t *testing.T, c *demoRun, adminToken string) {
	t.Helper()
	if code := d.call(t, "POST", "/sandbox/api/inbound", map[string]string{"from": "+12025550108", "to": sandboxNumber, "text": "Hi"}); code != 200 {
		t.Fatalf("greet: %d", code)
	}
	if code := d.call(t, "POST", "/v3/whatsapp/single/text/message/0", map[string]string{"number": "12025550108", "message": "hello"},
		"X-WM-CLIENT-ID", c.clientID, "X-WM-CLIENT-SECRET", c.secret); code != 200 {
		t.Errorf("send with client ID %s and its secret: %d, want 200", c.clientID, code)
	}
	if code := d.call(t, "GET", "/admin/api/instances", nil, "Authorization", "Bearer "+adminToken); code != 200 {
		t.Errorf("admin API with the printed token: %d, want 200", code)
	}
}

// TestDemoCredentialsSurviveARestart runs serve --demo twice on the same
// data directory: the second run prints the credentials of the first, and
// they still work; the file that keeps them is private to the user.
func TestDemoCredentialsSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	first := startDemo(t, dir)
	first.works(t, first, first.adminToken)
	first.stop()

	second := startDemo(t, dir)
	if second.clientID != first.clientID || second.secret != first.secret || second.adminToken != first.adminToken {
		t.Errorf("a restart printed other credentials:\n first  %s %s %s\n second %s %s %s", first.clientID, first.secret,
			first.adminToken, second.clientID, second.secret, second.adminToken)
	}
	second.works(t, first, first.adminToken)
	second.stop()

	path := filepath.Join(dir, demoFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, info.Mode().Perm())
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "."+demoFileName+"-*")); len(tmps) != 0 {
		t.Errorf("temporary files left: %v", tmps)
	}

	// An explicit admin token wins over the stored one, and does not
	// replace it.
	const explicit = "explicit-admin-token-0123456789"
	third := startDemo(t, dir, "--admin-token", explicit)
	if third.adminToken != explicit || third.secret != first.secret {
		t.Errorf("with --admin-token: printed token %q and secret %q, want %q and the stored secret", third.adminToken, third.secret, explicit)
	}
	third.works(t, first, explicit)
	if code := third.call(t, "GET", "/admin/api/instances", nil, "Authorization", "Bearer "+first.adminToken); code == 200 {
		t.Error("the stored admin token works beside the explicit one")
	}
	third.stop()
	fourth := startDemo(t, dir)
	if fourth.adminToken != first.adminToken {
		t.Errorf("after a run with --admin-token the stored token changed: %q, want %q", fourth.adminToken, first.adminToken)
	}
	fourth.stop()
}

// TestDemoCredentialsAfterTheRegistryIsReplaced: when the stored secret
// no longer authenticates (here the registry is a new one), serve --demo
// makes new credentials that work, and keeps them.
func TestDemoCredentialsAfterTheRegistryIsReplaced(t *testing.T) {
	dir := t.TempDir()
	first := startDemo(t, dir)
	first.stop()
	if err := os.Remove(filepath.Join(dir, "higate.db")); err != nil {
		t.Fatal(err)
	}
	second := startDemo(t, dir)
	if second.secret == first.secret {
		t.Error("printed the stored secret, which the new registry does not know")
	}
	if second.adminToken != first.adminToken {
		t.Errorf("admin token changed: %q, want the stored %q", second.adminToken, first.adminToken)
	}
	second.works(t, second, second.adminToken)
	second.stop()
	third := startDemo(t, dir)
	if third.clientID != second.clientID || third.secret != second.secret {
		t.Errorf("the renewed credentials were not kept: %s %s, want %s %s", third.clientID, third.secret, second.clientID, second.secret)
	}
	third.stop()
}
