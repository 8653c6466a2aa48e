package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"higate/registry"
)

// serveOnce runs `higate serve` on dir as a child process (TestMain), for
// start-ups that must fail, and returns its exit status and stderr.
func serveOnce(t *testing.T, dir string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "error")
	cmd.Env = append(os.Environ(), "HIGATE_TEST_SERVE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("serve on %s: %v, want it to exit with an error", dir, err)
	}
	return exit.ExitCode(), stderr.String()
}

// wantOneLine checks that a failed start said one line, the one wanted,
// and no panic or stack trace.
func wantOneLine(t *testing.T, code int, stderr, want string) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr is not one line:\n%s", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q does not say %q", stderr, want)
	}
}

// TestServeRefusesADamagedRegistry starts serve on an empty and on a
// corrupt higate.db: each is refused with one line naming the file and
// the remedy, exit status 1, and the file is left as it was.
func TestServeRefusesADamagedRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Run("zero-length", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "higate.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stderr := serveOnce(t, dir)
		wantOneLine(t, code, stderr, fmt.Sprintf("higate: registry %s is damaged (the file is empty): restore it from a backup", path))
		if info, err := os.Stat(path); err != nil || info.Size() != 0 {
			t.Errorf("the empty file was written to: %v %v", info, err)
		}
	})
	t.Run("corrupt pages", func(t *testing.T) {
		dir := t.TempDir()
		s, err := registry.Open(dir, registry.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EnsureInstance(0, "sandbox"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		// Everything after the two meta pages overwritten: the meta pages
		// are valid, and the pages they point to are garbage, on which
		// bbolt panics.
		path := filepath.Join(dir, "higate.db")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := 2 * os.Getpagesize(); i < len(data); i++ {
			data[i] = 0xa5
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stderr := serveOnce(t, dir)
		wantOneLine(t, code, stderr, fmt.Sprintf("higate: registry %s is damaged (", path))
		wantOneLine(t, code, stderr, "restore it from a backup, or move it away to start with an empty registry")
	})
}

// TestServeSaysWhenAnotherHoldsTheRegistry starts a second server on the
// data directory of a running one.
func TestServeSaysWhenAnotherHoldsTheRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	first := startServer(t, dir)
	defer first.kill()
	code, stderr := serveOnce(t, dir)
	wantOneLine(t, code, stderr, fmt.Sprintf("higate: registry %s is in use by another process (is higate already running?)",
		filepath.Join(dir, "higate.db")))
}
