package registry_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"higate/registry"
)

// A snapshot holds the file of every inbound media record it copies (by a
// hard link, or open where it cannot link), so Prune deleting the files
// afterwards takes nothing from the backup; a record whose file is already
// gone is left out.
func TestSnapshotHoldsInboundMedia(t *testing.T) {
	t.Run("linked", func(t *testing.T) { snapshotHoldsInboundMedia(t, true) })
	t.Run("open", func(t *testing.T) {
		registry.NoLinks(t)
		snapshotHoldsInboundMedia(t, false)
	})
}

func snapshotHoldsInboundMedia(t *testing.T, linked bool) {
	f := newFixture(t)
	bodies := map[string]string{}
	var lost string
	for i, body := range []string{"an invoice", "a photo", "a voice note"} {
		m, err := f.store.SaveInboundMedia(registry.InboundMedia{Instance: 3, Account: "acct", Kind: "document", Mimetype: "application/pdf"}, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 { // lost to a crash between the record and the file
			lost = m.IDString()
			if err := os.Remove(filepath.Join(f.dir, "inbound", lost)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		bodies[m.IDString()] = body
	}

	media, err := f.store.Snapshot(filepath.Join(t.TempDir(), "higate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer registry.Release(media)

	// Past the retention Prune deletes the files and their records.
	f.advance(31 * 24 * time.Hour)
	if p, err := f.store.Prune(); err != nil || p.Media != 3 {
		t.Fatalf("prune: %+v %v", p, err)
	}

	var names []string
	for _, m := range media {
		if !m.Inbound {
			t.Errorf("%s: a queued job's media in a registry that has none", m.Name)
			continue
		}
		names = append(names, m.Name)
		if (m.Path != "") != linked || (m.File != nil) == linked {
			t.Errorf("%s held by link %q, open file %v; want linked %v", m.Name, m.Path, m.File != nil, linked)
		}
		r, err := m.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(body) != bodies[m.Name] || m.Size != int64(len(body)) {
			t.Errorf("inbound %s after Prune: %q (size %d), %v; want %q", m.Name, body, m.Size, err, bodies[m.Name])
		}
	}
	slices.Sort(names)
	if want := []string{"1", "3"}; !slices.Equal(names, want) || lost != "2" {
		t.Errorf("snapshot holds inbound media %v, want %v (the file of %s is gone)", names, want, lost)
	}
}
