package registry

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SpoolMedia writes decoded media to the content-addressed spool and fsyncs
// it (and the directory) before returning, so a job that references it can
// be committed safely. It returns the content's SHA-256 in hex. When the
// disk is full it removes what it began to write and returns a 503 with
// Retry-After (see diskFull).
func (s *Store) SpoolMedia(data []byte) (string, error) {
	name, err := s.spoolMedia(data)
	if err != nil {
		return "", s.full.check("spool media", fmt.Errorf("spool media: %w", err))
	}
	return name, nil
}

func (s *Store) spoolMedia(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	path := s.mediaPath(name)
	s.mediaMu.Lock()
	defer s.mediaMu.Unlock()
	// Touching an existing file tells the janitor it is in use again.
	now := time.Now()
	if err := os.Chtimes(path, now, now); err == nil {
		return name, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".spool-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if f := s.spoolFault.Load(); f != nil {
		err = *f
	} else {
		_, err = tmp.Write(data)
	}
	if err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return "", err
	}
	return name, nil
}

// Media reads spooled media.
func (s *Store) Media(name string) ([]byte, error) { return os.ReadFile(s.mediaPath(name)) }

func (s *Store) mediaPath(name string) string { return filepath.Join(s.dir, "media", name) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// addMediaRef changes the number of queued jobs that use a media file.
func addMediaRef(tx *bolt.Tx, name string, delta int64) error {
	b := tx.Bucket(bucketMedia)
	var n int64
	if v := b.Get([]byte(name)); v != nil {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n <= 0 {
		return b.Delete([]byte(name))
	}
	return b.Put([]byte(name), u64(uint64(n)))
}

// SweepMedia deletes spooled files no queued job references and that were
// not spooled within grace (an accept may be between spooling its media and
// committing its job). It runs at start-up and periodically; this is how
// media is removed once its jobs end.
func (s *Store) SweepMedia(grace time.Duration) (int, error) {
	dir := filepath.Join(s.dir, "media")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	s.mediaMu.Lock()
	defer s.mediaMu.Unlock()
	removed := 0
	err = s.db.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketMedia)
		for _, e := range entries {
			if refs.Get([]byte(e.Name())) != nil {
				continue
			}
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < grace {
				continue
			}
			if os.Remove(filepath.Join(dir, e.Name())) == nil {
				removed++
			}
		}
		return nil
	})
	return removed, err
}
