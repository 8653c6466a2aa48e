package registry_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"higate/registry"
)

func TestInboundMediaIsKeptSignedAndPruned(t *testing.T) {
	f := newFixture(t)
	data := []byte("%PDF-1.4 an invoice")
	m, err := f.store.SaveInboundMedia(registry.InboundMedia{Instance: 3, Account: "acct", Kind: "document",
		Mimetype: "application/pdf", Filename: "invoice.pdf"}, data)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.Size != int64(len(data)) || !m.CreatedAt.Equal(f.clock()) {
		t.Fatalf("saved %+v", m)
	}
	got, file, err := f.store.OpenInboundMedia(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(file)
	file.Close()
	if got != m || string(body) != string(data) {
		t.Fatalf("opened %+v %q", got, body)
	}
	if _, _, err := f.store.OpenInboundMedia(m.ID + 1); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("another ID: %v", err)
	}

	exp := f.clock().Add(time.Hour)
	sig := f.store.SignMediaLink(m.ID, exp)
	altered := sig[:len(sig)-1] + "0"
	if altered == sig {
		altered = sig[:len(sig)-1] + "1"
	}
	code := func(err error) int {
		if err == nil {
			return 200
		}
		return registry.ErrorCode(err)
	}
	for _, c := range []struct {
		name string
		id   uint64
		exp  int64
		sig  string
		want int
	}{
		{"genuine", m.ID, exp.Unix(), sig, 200},
		{"another ID", m.ID + 1, exp.Unix(), sig, registry.CodeBadLink},
		{"later expiry", m.ID, exp.Unix() + 1, sig, registry.CodeBadLink},
		{"altered signature", m.ID, exp.Unix(), altered, registry.CodeBadLink},
		{"short signature", m.ID, exp.Unix(), sig[:10], registry.CodeBadLink},
		{"not hex", m.ID, exp.Unix(), "zz", registry.CodeBadLink},
		{"empty", m.ID, exp.Unix(), "", registry.CodeBadLink},
	} {
		if got := code(f.store.CheckMediaLink(c.id, c.exp, c.sig)); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}

	// The key is the registry's: links outlive a restart.
	f.store.Close()
	f.open()
	if err := f.store.CheckMediaLink(m.ID, exp.Unix(), sig); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	f.advance(time.Hour)
	if err := f.store.CheckMediaLink(m.ID, exp.Unix(), sig); err != nil {
		t.Fatalf("at the expiry: %v", err)
	}
	f.advance(time.Second)
	if got := code(f.store.CheckMediaLink(m.ID, exp.Unix(), sig)); got != registry.CodeLinkExpired {
		t.Fatalf("past the expiry: %d", got)
	}

	// Past the retention (30 days) the record and the file go.
	path := filepath.Join(f.dir, "inbound", m.IDString())
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	f.advance(29 * 24 * time.Hour)
	if p, err := f.store.Prune(); err != nil || p.Media != 0 {
		t.Fatalf("within the retention: %+v %v", p, err)
	}
	f.advance(24 * time.Hour)
	if p, err := f.store.Prune(); err != nil || p.Media != 1 {
		t.Fatalf("past the retention: %+v %v", p, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file is still there: %v", err)
	}
	if _, _, err := f.store.OpenInboundMedia(m.ID); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("after pruning: %v", err)
	}
}

// Every registry signs with its own key.
func TestMediaLinksOfAnotherRegistryDoNotCheckOut(t *testing.T) {
	a, b := newFixture(t), newFixture(t)
	exp := a.clock().Add(time.Hour)
	if err := b.store.CheckMediaLink(1, exp.Unix(), a.store.SignMediaLink(1, exp)); registry.ErrorCode(err) != registry.CodeBadLink {
		t.Fatalf("another registry's link: %v", err)
	}
}
