package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"higate/gateway/backup"
	"higate/quota"
	"higate/registry"
)

// archive makes a registry with one account and returns a backup of it.
func archive(t *testing.T) ([]byte, registry.Credentials) {
	t.Helper()
	dir := t.TempDir()
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.EnsureInstance(registry.SandboxInstance, "sandbox"); err != nil {
		t.Fatal(err)
	}
	creds, err := store.CreateAccount(registry.NewAccount{Email: "dev@example.com", Plan: quota.Trial})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := backup.Write(context.Background(), &buf, store, dir, "test"); err != nil {
		t.Fatal(err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".backup-*")); len(leftovers) > 0 {
		t.Errorf("temporary files left in the data directory: %v", leftovers)
	}
	return buf.Bytes(), creds
}

func TestRestore(t *testing.T) {
	data, creds := archive(t)
	dir := t.TempDir()
	m, report, err := backup.Restore(bytes.NewReader(data), dir, backup.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "test" || report.Records == 0 {
		t.Errorf("manifest %+v, report %+v", m, report)
	}
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Errorf("the account does not authenticate after the restore: %v", err)
	}
	store.Close()

	// A registry is there now: without --force the restore refuses, with it
	// the old one is moved aside.
	if _, _, err := backup.Restore(bytes.NewReader(data), dir, backup.RestoreOptions{}); !errors.Is(err, backup.ErrExists) {
		t.Errorf("restore over a registry: %v, want ErrExists", err)
	}
	if _, _, err := backup.Restore(bytes.NewReader(data), dir, backup.RestoreOptions{Force: true}); err != nil {
		t.Errorf("restore --force: %v", err)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, ".replaced-*", "higate.db")); len(aside) != 1 {
		t.Errorf("the replaced registry was not kept aside: %v", aside)
	}
}

// TestRestoreRefusesBadArchives leaves the target untouched for a cut, a
// corrupt or a hostile archive.
func TestRestoreRefusesBadArchives(t *testing.T) {
	data, _ := archive(t)
	corrupt := rewrite(t, data, func(name string, body []byte) []byte {
		if name == "higate.db" {
			body = bytes.Clone(body)
			for i := 4096; i < len(body) && i < 4096*3; i++ {
				body[i] ^= 0xff // the meta pages
			}
		}
		return body
	})
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"cut short", data[:len(data)/2], "damaged"},
		{"not gzip", []byte("hello"), "not a Higate backup"},
		{"corrupt registry", corrupt, "fails its check"},
		{"path outside", tarOf(t, map[string]string{"MANIFEST.json": `{"format":1}`, "../evil": "x"}), "unexpected entry"},
		{"no manifest", tarOf(t, map[string]string{"higate.db": "x"}), "no MANIFEST.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			_, _, err := backup.Restore(bytes.NewReader(c.data), dir, backup.RestoreOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("the target is not as it was: %v", entries)
			}
		})
	}
}

// rewrite copies a backup archive, passing each entry's body through fn.
func rewrite(t *testing.T, data []byte, fn func(name string, body []byte) []byte) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		if _, err := body.ReadFrom(tr); err != nil {
			t.Fatal(err)
		}
		b := fn(h.Name, body.Bytes())
		h.Size = int64(len(b))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}
