package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"higate/gateway/backup"
	"higate/quota"
	"higate/registry"
)

// inboundBody is the inbound media file in every archive: random, so it
// does not compress and is most of the archive's tail.
var inboundBody = func() []byte {
	b := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{}).Read(b)
	return b
}()

// archive makes a registry with one account and one inbound media file
// (ID 1) and returns a backup of it.
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
	if _, err := store.SaveInboundMedia(registry.InboundMedia{Instance: 1, Account: creds.ClientID, Kind: "image", Mimetype: "image/jpeg"}, inboundBody); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	m, err := backup.Write(context.Background(), &buf, store, dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if m.InboundMedia != 1 || m.Media != 0 {
		t.Errorf("manifest %+v, want one inbound media file and no queued media", m)
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
	if m.InboundMedia != 1 {
		t.Errorf("manifest %+v, want one inbound media file", m)
	}
	if got := readInbound(t, store, 1); !bytes.Equal(got, inboundBody) {
		t.Errorf("inbound media 1 after the restore: %d bytes, want the %d saved", len(got), len(inboundBody))
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

// An archive of an earlier version, whose manifest has no inbound_media
// and which holds no inbound/ files, restores as before.
func TestRestoreArchiveWithoutInboundMedia(t *testing.T) {
	data, creds := archive(t)
	old := rewrite(t, data, func(h *tar.Header, body []byte) []byte {
		switch {
		case strings.HasPrefix(h.Name, "inbound/"):
			return nil
		case h.Name == "MANIFEST.json":
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "inbound_media")
			body, _ = json.Marshal(m)
		}
		return body
	})
	if bytes.Contains(old, []byte("inbound_media")) {
		t.Fatal("the old archive still names inbound media")
	}
	dir := t.TempDir()
	m, _, err := backup.Restore(bytes.NewReader(old), dir, backup.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.InboundMedia != 0 {
		t.Errorf("manifest %+v", m)
	}
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Authenticate(creds.ClientID, creds.ClientSecret); err != nil {
		t.Errorf("the account does not authenticate after the restore: %v", err)
	}
	if _, _, err := store.OpenInboundMedia(1); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("inbound media the archive did not hold: %v, want ErrNotFound", err)
	}
}

// The inbound directory goes with the registry it came with: a restore
// replaces it whole, so no file of the registry it replaces answers for a
// restored record, and without force it refuses to touch one that holds files.
func TestRestoreReplacesInboundMedia(t *testing.T) {
	data, _ := archive(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, "inbound", "7")
	if err := os.MkdirAll(filepath.Dir(stale), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("another registry's file"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, _, err := backup.Restore(bytes.NewReader(data), dir, backup.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "restore with --force") {
		t.Fatalf("restore over inbound media: %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 || entries[0].Name() != "inbound" {
		t.Errorf("the refused restore changed the target: %v", entries)
	}

	if _, _, err := backup.Restore(bytes.NewReader(data), dir, backup.RestoreOptions{Force: true}); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the replaced registry's inbound file is still in place: %v", err)
	}
	if aside, _ := filepath.Glob(filepath.Join(dir, ".replaced-*", "inbound", "7")); len(aside) != 1 {
		t.Errorf("the replaced inbound media were not kept aside: %v", aside)
	}
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if got := readInbound(t, store, 1); !bytes.Equal(got, inboundBody) {
		t.Errorf("inbound media 1 after the restore: %d bytes, want the %d saved", len(got), len(inboundBody))
	}
}

// TestRestoreRefusesBadArchives leaves the target untouched for a cut, a
// corrupt or a hostile archive.
func TestRestoreRefusesBadArchives(t *testing.T) {
	data, _ := archive(t)
	corrupt := rewrite(t, data, func(h *tar.Header, body []byte) []byte {
		if h.Name == "higate.db" {
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
		{"path outside inmedia", tarOf(t, map[string]string{"MANIFEST.json": `{"format":1}`, "inmedia/../x": "x"}), "unexpected entry"},
		{"inbound path to the registry", renamed(t, data, "higate.db", "inbound/../higate.db"), "unexpected entry"},
		{"inbound name not an ID", renamed(t, data, "inbound/1", "inbound/01"), "unexpected entry"},
		{"inbound media cut short", data[:len(data)-1024], "damaged: inbound/1:"},
		{"inbound media missing", rewrite(t, data, func(h *tar.Header, body []byte) []byte {
			if h.Name == "inbound/1" {
				return nil
			}
			return body
		}), "0 inbound media files of 1"},
		{"more inbound media than the manifest", rewrite(t, data, func(h *tar.Header, body []byte) []byte {
			if h.Name == "MANIFEST.json" {
				return bytes.Replace(body, []byte(`"inbound_media": 1`), []byte(`"inbound_media": 0`), 1)
			}
			return body
		}), "1 inbound media files of 0"},
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

// rewrite copies a backup archive, passing each entry through fn, which
// may rename it and returns its body; an entry for which fn returns nil is
// left out.
func rewrite(t *testing.T, data []byte, fn func(h *tar.Header, body []byte) []byte) []byte {
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
		b := fn(h, body.Bytes())
		if b == nil {
			continue
		}
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

// renamed copies a backup archive with the entry from renamed to.
func renamed(t *testing.T, data []byte, from, to string) []byte {
	t.Helper()
	return rewrite(t, data, func(h *tar.Header, body []byte) []byte {
		if h.Name == from {
			h.Name = to
		}
		return body
	})
}

func readInbound(t *testing.T, store *registry.Store, id uint64) []byte {
	t.Helper()
	_, f, err := store.OpenInboundMedia(id)
	if err != nil {
		t.Fatalf("inbound media %d: %v", id, err)
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// What a backup cut short by a crash left in the data directory (its copy
// of the registry, its hard links) goes at the next start, and nothing
// else does.
func TestRemoveLeftovers(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{".backup-123/higate.db", ".backup-123/files/0", ".backup-9/higate.db", "higate.db", "inbound/1", "media/ab"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := backup.RemoveLeftovers(dir); err != nil || n != 2 {
		t.Fatalf("removed %d, %v; want 2", n, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	top, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 2 || len(top) != 3 {
		t.Fatalf("left %v and %v", top, left)
	}
	if n, err := backup.RemoveLeftovers(dir); err != nil || n != 0 {
		t.Fatalf("second time: removed %d, %v", n, err)
	}
}
