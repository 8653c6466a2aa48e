package registry_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"higate/registry"
)

// seededRegistry writes a registry with enough registrations to span
// many pages, closes it and returns its directory.
func seededRegistry(t *testing.T, registrations int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	regs := make([]registry.Registration, registrations)
	for i := range regs {
		regs[i] = registry.Registration{Gateway: gw, Recipient: fmt.Sprintf("+4915112%06d", i), Lang: "en", Greeting: "Hi"}
	}
	if err := s.SeedRegistrations(regs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dbFile is a closed bbolt file read into memory, to be damaged and
// written back. Its layout is bbolt's: two meta pages, then the rest.
type dbFile struct {
	data     []byte
	pageSize int
}

func readDB(t *testing.T, path string) *dbFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The meta page: a 16-byte page header, then magic, version, page size.
	return &dbFile{data: data, pageSize: int(binary.LittleEndian.Uint32(data[24:]))}
}

// meta returns the current meta page's root page, freelist page and high
// water mark (the one with the higher transaction ID is current).
func (f *dbFile) meta() (root, freelist, hwm int) {
	best := -1
	var txid uint64
	for i := range 2 {
		m := f.data[i*f.pageSize+16:]
		if id := binary.LittleEndian.Uint64(m[48:]); best < 0 || id > txid {
			best, txid = i, id
		}
	}
	m := f.data[best*f.pageSize+16:]
	return int(binary.LittleEndian.Uint64(m[16:])), int(binary.LittleEndian.Uint64(m[32:])), int(binary.LittleEndian.Uint64(m[40:]))
}

func (f *dbFile) fill(page int, b byte) {
	p := f.data[page*f.pageSize : (page+1)*f.pageSize]
	for i := range p {
		p[i] = b
	}
}

func (f *dbFile) write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, f.data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesDamagedRegistry damages a registry file in the ways a
// bad copy, a full disk or a failing drive do, and checks that Open
// refuses each with one line naming the file and the remedy, instead of
// panicking inside bbolt or starting empty.
func TestOpenRefusesDamagedRegistry(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		detail string
	}{
		{"zero-length file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "the file is empty"},
		{"truncated to half its pages", func(t *testing.T, path string) {
			// bbolt grows the file ahead of its pages; cut into the pages.
			f := readDB(t, path)
			_, _, hwm := f.meta()
			if err := os.Truncate(path, int64(hwm*f.pageSize/2)); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"truncated inside the meta pages", func(t *testing.T, path string) {
			if err := os.Truncate(path, 5000); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"not a database", func(t *testing.T, path string) {
			junk := make([]byte, 64<<10)
			for i := range junk {
				junk[i] = byte(rand.N(256))
			}
			if err := os.WriteFile(path, junk, 0o600); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"both meta pages overwritten", func(t *testing.T, path string) {
			f := readDB(t, path)
			f.fill(0, 0xff)
			f.fill(1, 0xff)
			f.write(t, path)
		}, ""},
		{"freelist page overwritten", func(t *testing.T, path string) {
			f := readDB(t, path)
			_, freelist, _ := f.meta()
			f.fill(freelist, 0)
			f.write(t, path)
		}, ""},
		{"root page overwritten", func(t *testing.T, path string) {
			f := readDB(t, path)
			root, _, _ := f.meta()
			f.fill(root, 0)
			f.write(t, path)
		}, ""},
		{"root page points past the end", func(t *testing.T, path string) {
			f := readDB(t, path)
			root, _, _ := f.meta()
			// A branch page whose one child is far beyond the mapped file:
			// reading it faults instead of panicking, unless Open guards it.
			p := f.data[root*f.pageSize : (root+1)*f.pageSize]
			if binary.LittleEndian.Uint16(p[8:]) == 0x01 { // already a branch page
				binary.LittleEndian.PutUint64(p[16+8:], 1<<28)
			} else {
				f.fill(root, 0)
				binary.LittleEndian.PutUint64(p[0:], uint64(root))
				binary.LittleEndian.PutUint16(p[8:], 0x01)   // branch
				binary.LittleEndian.PutUint16(p[10:], 1)     // one element
				binary.LittleEndian.PutUint32(p[16:], 16)    // key at +16
				binary.LittleEndian.PutUint32(p[20:], 1)     // key size 1
				binary.LittleEndian.PutUint64(p[24:], 1<<28) // child page, 1 TB in
			}
			f.write(t, path)
		}, ""},
	}
	seeded, err := os.ReadFile(filepath.Join(seededRegistry(t, 20_000), "higate.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "higate.db")
			if err := os.WriteFile(path, seeded, 0o600); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, path)
			s, err := registry.Open(dir, registry.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a damaged registry")
			}
			if !errors.Is(err, registry.ErrDamaged) {
				t.Fatalf("error does not wrap ErrDamaged: %v", err)
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("message is more than one line: %q", msg)
			}
			for _, want := range []string{"registry " + path + " is damaged", "restore it from a backup", tt.detail} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			// Refusing must leave the file as it was and not hold it:
			// the operator moves it away and starts afresh.
			if err := os.Rename(path, path+".damaged"); err != nil {
				t.Fatal(err)
			}
			s, err = registry.Open(dir, registry.Options{})
			if err != nil {
				t.Fatalf("a missing file is a new registry, got %v", err)
			}
			s.Close()
		})
	}
}

// TestOpenSaysWhenTheRegistryIsInUse opens a registry while another
// handle holds it, as a second server on the same data directory would.
func TestOpenSaysWhenTheRegistryIsInUse(t *testing.T) {
	dir := t.TempDir()
	first, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	start := time.Now()
	s, err := registry.Open(dir, registry.Options{})
	if err == nil {
		s.Close()
		t.Fatal("a second Open succeeded")
	}
	if !errors.Is(err, registry.ErrInUse) {
		t.Fatalf("error does not wrap ErrInUse: %v", err)
	}
	want := "registry " + filepath.Join(dir, "higate.db") + " is in use by another process (is higate already running?)"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	t.Logf("refused after %s", time.Since(start).Round(time.Millisecond))
}

// TestCheckFindsDamageOpenDoesNotLookFor overwrites leaf pages in the
// middle of the registrations: Open's checks at start-up are cheap and
// do not read every page, so the full check (higate check) must find it.
func TestCheckFindsDamageOpenDoesNotLookFor(t *testing.T) {
	dir := seededRegistry(t, 20_000)
	path := filepath.Join(dir, "higate.db")
	rep, err := registry.Check(dir)
	if err != nil {
		t.Fatalf("a sound registry fails the check: %v", err)
	}
	if rep.Records < 20_000 {
		t.Errorf("check counted %d records, want at least 20,000", rep.Records)
	}

	f := readDB(t, path)
	_, _, hwm := f.meta()
	n := 0
	for page := hwm / 3; page < 2*hwm/3; page++ {
		p := f.data[page*f.pageSize:]
		if binary.LittleEndian.Uint16(p[8:]) == 0x02 && page%3 == 0 { // a leaf page
			for i := 16; i < f.pageSize; i++ {
				p[i] = byte(rand.N(256))
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("found no leaf pages to damage")
	}
	f.write(t, path)
	_, err = registry.Check(dir)
	if !errors.Is(err, registry.ErrDamaged) {
		t.Fatalf("check after damaging %d leaf pages: %v", n, err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("message is more than one line: %q", err.Error())
	}
}

// TestCheckRefusesAMissingRegistry: checking creates nothing.
func TestCheckRefusesAMissingRegistry(t *testing.T) {
	dir := t.TempDir()
	if _, err := registry.Check(dir); err == nil {
		t.Fatal("check of an empty directory succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "higate.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("check created the database: %v", err)
	}
}
