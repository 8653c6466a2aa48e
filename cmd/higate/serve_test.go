package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output the server writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// inProcess is `higate serve` running in the test's process.
type inProcess struct {
	t              *testing.T
	stdout, stderr *syncBuffer
	base           string // from the "listening on" line
	stop           func() error
}

// serveInProcess runs `higate serve args...` with the environment env
// until the test stops it, and waits until it listens. The log is JSON.
func serveInProcess(t *testing.T, env map[string]string, args ...string) *inProcess {
	t.Helper()
	s := &inProcess{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	argv := append([]string{"higate", "serve", "--log-format", "json"}, args...)
	go func() { errc <- run(ctx, argv, func(k string) string { return env[k] }, s.stdout, s.stderr) }()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-errc })
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, url, ok := strings.Cut(s.stdout.String(), " listening on "); ok {
			s.base = strings.TrimSpace(strings.SplitN(url, "\n", 2)[0])
			return s
		}
		select {
		case err := <-errc:
			t.Fatalf("serve ended before it listened: %v\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(5 * time.Millisecond): // polling stdout, with a deadline
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen in time; stderr:\n%s", s.stderr.String())
		}
	}
}

// records returns the server's JSON log records whose msg is msg.
func (s *inProcess) records(msg string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			s.t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// record returns the one record whose msg is msg.
func (s *inProcess) record(msg string) map[string]any {
	s.t.Helper()
	recs := s.records(msg)
	if len(recs) != 1 {
		s.t.Fatalf("%d log records %q, want 1; log:\n%s", len(recs), msg, s.stderr.String())
	}
	return recs[0]
}
