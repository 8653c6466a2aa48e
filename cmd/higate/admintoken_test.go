package main

import (
	"bytes"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

const fileToken = "token-from-a-file-0123456789"

// tokenFile writes content to a file of the given mode and returns its path.
func tokenFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is filtered by the umask
		t.Fatal(err)
	}
	return path
}

// TestAdminTokenFile: serve reads the admin token from --admin-token-file
// or HIGATE_ADMIN_TOKEN_FILE, trims its newline, warns about a file others
// can read, refuses empty files and ambiguous sources, and lets a flag on
// the command line beat the environment.
func TestAdminTokenFile(t *testing.T) {
	private := tokenFile(t, fileToken+"\n", 0o600)
	shared := tokenFile(t, fileToken+"\r\n", 0o644)
	for _, c := range []struct {
		name    string
		args    []string
		env     billingEnv
		want    string // the token, or the error's text
		wantErr bool
		warn    bool
	}{
		{name: "flag", args: []string{"--admin-token-file", private}, want: fileToken},
		{name: "env", env: billingEnv{"HIGATE_ADMIN_TOKEN_FILE": private}, want: fileToken},
		{name: "readable by others", args: []string{"--admin-token-file", shared}, want: fileToken, warn: true},
		{name: "file flag beats env token", args: []string{"--admin-token-file", private}, env: billingEnv{"HIGATE_ADMIN_TOKEN": "env-token-0123456789"}, want: fileToken},
		{name: "token flag beats env file", args: []string{"--admin-token", "flag-token-0123456789"}, env: billingEnv{"HIGATE_ADMIN_TOKEN_FILE": private}, want: "flag-token-0123456789"},
		{name: "env token", env: billingEnv{"HIGATE_ADMIN_TOKEN": "env-token-0123456789"}, want: "env-token-0123456789"},
		{name: "both flags", args: []string{"--admin-token", "flag-token-0123456789", "--admin-token-file", private}, want: "not both", wantErr: true},
		{name: "both env", env: billingEnv{"HIGATE_ADMIN_TOKEN": "env-token-0123456789", "HIGATE_ADMIN_TOKEN_FILE": private}, want: "not both", wantErr: true},
		{name: "empty file", args: []string{"--admin-token-file", tokenFile(t, "\n", 0o600)}, want: "is empty", wantErr: true},
		{name: "two lines", args: []string{"--admin-token-file", tokenFile(t, "a-token-0123456789\nanother\n", 0o600)}, want: "more than one line", wantErr: true},
		{name: "missing file", args: []string{"--admin-token-file", filepath.Join(t.TempDir(), "nope")}, want: "no such file", wantErr: true},
		{name: "short token", args: []string{"--admin-token-file", tokenFile(t, "short\n", 0o600)}, want: "at least 16", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := c.env
			if env == nil {
				env = billingEnv{}
			}
			cfg, err := parseServeFlags(c.args, env.get, &stderr)
			switch {
			case c.wantErr && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err %v, want %q", err, c.want)
			case !c.wantErr && (err != nil || cfg.AdminToken != c.want):
				t.Fatalf("token %q, err %v; want %q", cfg.AdminToken, err, c.want)
			}
			if warned := strings.Contains(stderr.String(), "chmod 600"); warned != c.warn {
				t.Fatalf("warning %v: %q", warned, stderr.String())
			}
		})
	}
}

// TestAdminTokenStaysOutOfHelp: -h does not print a token taken from the
// environment.
func TestAdminTokenStaysOutOfHelp(t *testing.T) {
	var help bytes.Buffer
	env := billingEnv{"HIGATE_ADMIN_TOKEN": "env-token-secret-0123456789"}
	if _, err := parseServeFlags([]string{"-h"}, env.get, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	if strings.Contains(help.String(), "env-token-secret") || !strings.Contains(help.String(), "HIGATE_ADMIN_TOKEN_FILE") {
		t.Fatalf("help:\n%s", help.String())
	}
}

// TestOperatorCommandsReadTheTokenFile: the operator commands send the
// token from --admin-token-file, and say what to give without one.
func TestOperatorCommandsReadTheTokenFile(t *testing.T) {
	var auth atomic.Value // string: the last request's Authorization
	got := func() string { s, _ := auth.Load().(string); return s }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Write([]byte(`{"instances":[]}`))
	}))
	defer srv.Close()
	path := tokenFile(t, fileToken+"\n", 0o600)
	var out, errOut bytes.Buffer
	env := billingEnv{"HIGATE_SERVER": srv.URL}
	if err := run(t.Context(), []string{"higate", "numbers", "--admin-token-file", path}, env.get, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if got() != "Bearer "+fileToken {
		t.Fatalf("Authorization %q", got())
	}
	env["HIGATE_ADMIN_TOKEN_FILE"] = path
	auth.Store("")
	if err := run(t.Context(), []string{"higate", "numbers"}, env.get, &out, &errOut); err != nil || got() != "Bearer "+fileToken {
		t.Fatalf("from the environment: %v %q", err, got())
	}
	delete(env, "HIGATE_ADMIN_TOKEN_FILE")
	err := run(t.Context(), []string{"higate", "rotate", "--to", "+4915112345678"}, env.get, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--admin-token-file") {
		t.Fatalf("without a token: %v", err)
	}
}
