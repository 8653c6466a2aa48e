package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"higate/registry"
)

// TestBackupAndRestoreCommands downloads a backup from a running demo
// server with `higate backup`, restores it with `higate restore` into a new
// data directory, checks it with `higate check`, and serves the demo
// account from it.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, dir)
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(d.adminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"higate", "backup", "--server", d.base, "--admin-token-file", tokenFile, "--out", out},
		func(string) string { return "" }, &stdout, &stderr)
	d.stop()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", info, err)
	}

	restored := filepath.Join(t.TempDir(), "data")
	stdout.Reset()
	if err := run(context.Background(), []string{"higate", "restore", "--from", out, "--data", restored}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(stdout.String(), "registry checked") {
		t.Errorf("restore said: %s", stdout.String())
	}
	if err := run(context.Background(), []string{"higate", "restore", "--from", out, "--data", restored}, nil, io.Discard, io.Discard); err == nil {
		t.Error("a second restore over the registry succeeded without --force")
	}
	if err := run(context.Background(), []string{"higate", "check", "--data", restored}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Errorf("check of the restored registry: %v", err)
	}
	store, err := registry.Open(restored, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Authenticate(d.clientID, d.secret); err != nil {
		t.Errorf("the demo account does not authenticate after the restore: %v", err)
	}
}

// TestScheduledBackupsKeepTheNewest writes backups on a schedule's tick
// and keeps only the newest ones.
func TestScheduledBackupsKeepTheNewest(t *testing.T) {
	data := t.TempDir()
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	store, err := registry.Open(data, registry.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	b := backupSchedule{Dir: filepath.Join(t.TempDir(), "backups"), Every: time.Hour, Keep: 2}
	for i := range 3 {
		now = now.Add(time.Duration(i+1) * time.Hour)
		if err := b.once(context.Background(), store, data); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(b.Dir, "*"))
	if len(files) != 2 || !strings.HasSuffix(files[1], "20261202T120000Z.tar.gz") || !strings.HasSuffix(files[0], "20261202T090000Z.tar.gz") {
		t.Errorf("kept %v, want the newest two", files)
	}
}
