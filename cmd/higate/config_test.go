package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingEnv is an environment that notes every variable read.
type recordingEnv struct {
	mu   sync.Mutex
	vars map[string]string
	read map[string]bool
}

func (e *recordingEnv) get(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.read == nil {
		e.read = map[string]bool{}
	}
	e.read[name] = true
	return e.vars[name]
}

// testValue is a value of the flag's type that differs from its default.
func testValue(f *flag.Flag) string {
	if g, ok := f.Value.(flag.Getter); ok {
		switch v := g.Get().(type) {
		case bool:
			if v {
				return "false"
			}
			return "true"
		case time.Duration:
			return "17m"
		case int, uint64:
			return "17"
		}
	}
	return "x17.example.test"
}

// TestEveryServeFlagHasItsEnvironmentVariable enumerates serve's flags:
// each one's usage names HIGATE_<NAME> (the flag's name in capitals, - as
// _), parseServeFlags reads that variable, and a value in it becomes the
// flag's value unless the command line gives one.
func TestEveryServeFlagHasItsEnvironmentVariable(t *testing.T) {
	env := &recordingEnv{}
	s, err := parseServe(nil, env.get, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	s.fs.VisitAll(func(f *flag.Flag) {
		n++
		want := "HIGATE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if got := envName(f); got != want {
			t.Errorf("--%s: usage %q names %q, want (%s)", f.Name, f.Usage, got, want)
			return
		}
		if !env.read[want] {
			t.Errorf("--%s: parseServeFlags does not read %s", f.Name, want)
		}
		// The variable sets the flag.
		value := testValue(f)
		withVar := &recordingEnv{vars: map[string]string{want: value}}
		s, _ := parseServe(nil, withVar.get, io.Discard) // the value may not validate; the flag still takes it
		if s.fs == nil || s.sources == nil {
			t.Fatalf("--%s: %s=%s stopped parsing before the flags were read", f.Name, want, value)
		}
		if src := s.sources[f.Name]; src.kind != fromEnv || src.where != want {
			t.Errorf("--%s: with %s set, the source is %v", f.Name, want, src)
		}
		if got := s.fs.Lookup(f.Name).Value.String(); !secretSettings[f.Name] && !strings.Contains(got, strings.TrimSuffix(value, "m")) {
			t.Errorf("--%s: with %s=%s the flag is %q", f.Name, want, value, got)
		}
	})
	if n < 30 {
		t.Errorf("only %d flags enumerated", n)
	}
}

// writeConfig writes a config file of the given mode.
func writeConfig(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "higate.conf")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigFilePrecedence: the file's settings apply where neither the
// command line nor the environment gives one; the command line beats the
// environment, which beats the file, which beats the default.
func TestConfigFilePrecedence(t *testing.T) {
	token := tokenFile(t, fileToken+"\n", 0o600)
	file := writeConfig(t, "\uFEFF# Higate\r\n"+
		"addr = 0.0.0.0:9000\r\n"+
		"\n"+
		"   sandbox=false  \n"+
		"job-expiry = 2h\n"+
		"acme-domain = a.example.test, b.example.test\n"+
		"admin-token-file = "+token+"\n"+
		"mail-from = Higate #1 <billing@example.test>\n"+ // a # in a value is no comment
		"smtp-url = smtp://mailer:secret@127.0.0.1:2525\n"+
		`backup-dir = "/tmp/with space\t "`+"\n"+
		"trusted-proxies = 10.0.0.0/8\n", 0o600)
	for _, c := range []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config)
	}{
		{"file", []string{"--config", file}, nil, func(t *testing.T, c config) {
			if c.Addr != "0.0.0.0:9000" || c.Sandbox || c.JobExpiry != 2*time.Hour || c.AdminToken != fileToken ||
				!slices.Equal(c.TLS.ACMEDomains, []string{"a.example.test", "b.example.test"}) || c.TLS.HTTPAddr != ":80" ||
				c.Billing.MailFrom != "Higate #1 <billing@example.test>" || c.Billing.SMTPURL != "smtp://mailer:secret@127.0.0.1:2525" ||
				c.Backups.Dir != "/tmp/with space\t " ||
				c.TrustedProxies.String() != "10.0.0.0/8" || c.Retention != 720*time.Hour {
				t.Errorf("from the file: %+v", c)
			}
		}},
		{"HIGATE_CONFIG", nil, map[string]string{"HIGATE_CONFIG": file}, func(t *testing.T, c config) {
			if c.Addr != "0.0.0.0:9000" || c.ConfigFile != file {
				t.Errorf("addr %s, config %s", c.Addr, c.ConfigFile)
			}
		}},
		{"env beats file", []string{"--config", file}, map[string]string{"HIGATE_ADDR": "127.0.0.1:7000", "HIGATE_SANDBOX": "true",
			"HIGATE_ADMIN_TOKEN": "env-token-0123456789", "HIGATE_ACME_DOMAIN": "env.example.test"}, func(t *testing.T, c config) {
			// The environment's token beats the file's token file.
			if c.Addr != "127.0.0.1:7000" || !c.Sandbox || c.AdminToken != "env-token-0123456789" ||
				!slices.Equal(c.TLS.ACMEDomains, []string{"env.example.test"}) || c.JobExpiry != 2*time.Hour {
				t.Errorf("env over file: %+v", c)
			}
		}},
		{"flag beats env and file", []string{"--config", file, "--addr", "127.0.0.1:6000", "--sandbox=true", "--acme-domain", "flag.example.test"},
			map[string]string{"HIGATE_ADDR": "127.0.0.1:7000", "HIGATE_SANDBOX": "false"}, func(t *testing.T, c config) {
				if c.Addr != "127.0.0.1:6000" || !c.Sandbox || !slices.Equal(c.TLS.ACMEDomains, []string{"flag.example.test"}) {
					t.Errorf("flag over env and file: %+v", c)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, err := parseServeFlags(c.args, func(k string) string { return c.env[k] }, &stderr)
			if err != nil {
				t.Fatalf("%v (stderr %q)", err, stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr: %q", stderr.String())
			}
			c.check(t, cfg)
		})
	}
}

// TestConfigFileErrors: a file that cannot be read as meant is refused
// with its path and line number, and a secret's value is never echoed.
func TestConfigFileErrors(t *testing.T) {
	for _, c := range []struct{ content, want string }{
		{"addr = :1\nadress = :2\n", `line 2: unknown setting "adress"`},
		{"addr = :1\n\naddr = :2\n", "line 3: addr is already set on line 1"},
		{"# ok\naddr\n", `line 2: want key = value, found "addr"`},
		{"--addr = :1\n", "line 1: write the setting without dashes: addr = ..."},
		{"= :1\n", "line 1: no key"},
		{"sandbox = maybe\n", `line 1: sandbox = "maybe"`},
		{"job-expiry = soon\n", `line 1: job-expiry = "soon"`},
		{`mail-from = "unterminated` + "\n", "line 1: mail-from: a value that starts with"},
		{"config = /etc/other.conf\n", "line 1: config cannot name another file"},
		{"retention = 1m\n", "--retention must be at least 1h"},
	} {
		path := writeConfig(t, c.content, 0o600)
		_, err := parseServeFlags([]string{"--config", path}, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), path) && !strings.HasPrefix(c.want, "--") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one naming the file and saying %q", c.content, err, c.want)
		}
	}
	if _, err := parseServeFlags([]string{"--config", filepath.Join(t.TempDir(), "none.conf")}, func(string) string { return "" }, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "--config") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	// Both token sources in the file are ambiguous.
	token := tokenFile(t, fileToken+"\n", 0o600)
	path := writeConfig(t, "admin-token = a-token-in-the-file-0123\nadmin-token-file = "+token+"\n", 0o600)
	if _, err := parseServeFlags([]string{"--config", path}, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("two token sources in the file: %v", err)
	}
}

// TestConfigFileSecretsWarning: a file holding a secret that other users
// can read works, with a warning naming the file and the fix.
func TestConfigFileSecretsWarning(t *testing.T) {
	for _, c := range []struct {
		content string
		mode    os.FileMode
		warn    bool
	}{
		{"admin-token = a-token-in-the-file-0123\n", 0o644, true},
		{"admin-token = a-token-in-the-file-0123\n", 0o600, false},
		{"addr = 127.0.0.1:8080\n", 0o644, false},
	} {
		path := writeConfig(t, c.content, c.mode)
		var stderr bytes.Buffer
		cfg, err := parseServeFlags([]string{"--config", path}, func(string) string { return "" }, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(c.content, "admin-token") && cfg.AdminToken != "a-token-in-the-file-0123" {
			t.Errorf("token %q", cfg.AdminToken)
		}
		if got := strings.Contains(stderr.String(), "chmod 600 "+path); got != c.warn {
			t.Errorf("%q mode %o: warning %q, want %v", c.content, c.mode, stderr.String(), c.warn)
		}
	}
}

// TestConfigCheck: `higate config check` prints every setting with its
// value and source, secrets masked, and says the configuration is valid;
// an invalid one is an error with the line, exit status 1.
func TestConfigCheck(t *testing.T) {
	const (
		paypalSecret = "paypal-secret-value-xyz"
		smtpPassword = "smtp-password-xyz"
		adminSecret  = "admin-token-from-env-0123"
	)
	path := writeConfig(t, "addr = 127.0.0.1:9000\n"+
		"smtp-url = smtp://mailer:"+smtpPassword+"@mail.example.test:587\n"+
		"mail-from = billing@example.test\n", 0o600)
	env := map[string]string{"HIGATE_ADMIN_TOKEN": adminSecret, "HIGATE_PAYPAL_SECRET": paypalSecret,
		"HIGATE_PAYPAL_CLIENT_ID": "client-id", "HIGATE_PAYPAL_WEBHOOK_ID": "WH-1", "HIGATE_PAYPAL_PLAN_TRIAL": "P-1",
		"HIGATE_PUBLIC_URL": "https://gw.example.test"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"higate", "config", "check", "--config", path, "--log-level", "debug"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("config check: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, secret := range []string{paypalSecret, smtpPassword, adminSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("config check printed a secret %q:\n%s", secret, out)
		}
	}
	for _, want := range [][]string{
		{"addr", "127.0.0.1:9000", path + ":1"},
		{"smtp-url", "smtp://mailer:xxxxx@mail.example.test:587", path + ":2"},
		{"admin-token", "********", "HIGATE_ADMIN_TOKEN"},
		{"paypal-secret", "********", "HIGATE_PAYPAL_SECRET"},
		{"log-level", "debug", "flag"},
		{"data", "./data", "default"},
		{"paypal-client-id", "client-id", "HIGATE_PAYPAL_CLIENT_ID"},
	} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			if slices.Equal(strings.Fields(line), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line %v in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "The configuration is valid: admin API on, sandbox on, billing on, TLS off.") {
		t.Errorf("no verdict:\n%s", out)
	}

	bad := writeConfig(t, "addr = 127.0.0.1:9000\nsandbox = perhaps\n", 0o600)
	stdout.Reset()
	err = run(context.Background(), []string{"higate", "config", "check", "--config", bad}, func(string) string { return "" }, &stdout, &stderr)
	var report bytes.Buffer
	if code := reportErr(err, &report); code != 1 || !strings.Contains(report.String(), "invalid configuration: config file "+bad+" line 2: sandbox") {
		t.Errorf("invalid: status %d, %q", code, report.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("an invalid configuration printed settings:\n%s", stdout.String())
	}
	if err := run(context.Background(), []string{"higate", "config"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("config without check succeeded")
	}
}

// reportErr is main's report, named for the test's readability.
func reportErr(err error, w io.Writer) int { return report(err, w) }
