package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestLogFormat: --log-format picks text (the default) or JSON, one record
// a line, and anything else is refused.
func TestLogFormat(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "text"},
		{[]string{"--log-format", "json"}, nil, "json"},
		{nil, map[string]string{"HIGATE_LOG_FORMAT": "json"}, "json"},
		{[]string{"--log-format", "text"}, map[string]string{"HIGATE_LOG_FORMAT": "json"}, "text"},
	} {
		cfg, err := parseServeFlags(c.args, func(k string) string { return c.env[k] }, nil)
		if err != nil || cfg.LogFormat != c.want {
			t.Errorf("%v %v: format %q, %v; want %q", c.args, c.env, cfg.LogFormat, err, c.want)
		}
	}
	var text, js bytes.Buffer
	newLogger(&text, "text", slog.LevelInfo).Info("hello", "n", 1)
	newLogger(&js, "json", slog.LevelInfo).Info("hello", "n", 1)
	if !strings.Contains(text.String(), `msg=hello n=1`) {
		t.Errorf("text record %q", text.String())
	}
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil || rec["msg"] != "hello" || rec["n"] != float64(1) {
		t.Errorf("JSON record %q: %v", js.String(), err)
	}
}

// TestMaskNumbers: what the log says of an event's detail keeps no full
// phone number, and leaves short numbers (counts, codes) alone.
func TestMaskNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"replaces +4915112345678 (banned)":       "replaces +49********678 (banned)",
		"user 4915112345678 and +12025550108":    "user 491*******678 and +12******108",
		"no healthy standby number; 3 jobs, 406": "no healthy standby number; 3 jobs, 406",
		"":                                       "",
	} {
		if got := maskNumbers(in); got != want {
			t.Errorf("maskNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHTTPErrorLog: net/http's own errors become records of the server's
// log; scanners' failed TLS handshakes only at debug.
func TestHTTPErrorLog(t *testing.T) {
	var buf bytes.Buffer
	l := httpErrorLog(newLogger(&buf, "json", slog.LevelInfo))
	l.Print("http: TLS handshake error from 192.0.2.1:4000: EOF")
	if buf.Len() != 0 {
		t.Errorf("a TLS handshake error logged at info: %q", buf.String())
	}
	l.Print("http: panic serving 192.0.2.1:4000: boom")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["level"] != "WARN" || rec["component"] != "http" ||
		rec["msg"] != "http: panic serving 192.0.2.1:4000: boom" {
		t.Errorf("record %q: %v", buf.String(), err)
	}
}
