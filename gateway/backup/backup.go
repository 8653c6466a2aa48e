// Package backup writes and restores a whole Higate data directory as one
// gzip-compressed tar archive, taken while the gateway keeps serving:
//
//	MANIFEST.json        what is in it, and when it was taken
//	higate.db            the registry, a consistent bbolt snapshot
//	whatsmeow/<n>.db     each real number's device store (SQLite VACUUM INTO)
//	media/<sha256>       the media of jobs still queued at that moment
//	inbound/<id>         the files users sent dedicated numbers (inbound media)
//
// The simulated network's state (data/sim) is not included: it stands for
// WhatsApp itself, which a backup of a gateway cannot restore either.
package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"higate/gateway/wameow"
	"higate/registry"
)

// Manifest describes an archive; it is its first entry.
type Manifest struct {
	Format    int       `json:"format"` // 1
	Version   string    `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Registry  int64     `json:"registry_bytes"`
	Devices   []string  `json:"whatsmeow"` // device stores, by file name
	Media     int       `json:"media"`     // media files included
	// InboundMedia counts the inbound/ files. Archives of earlier versions
	// have none and leave it out; they restore as before.
	InboundMedia int `json:"inbound_media"`
}

const format = 1

// tempPattern names the directory a backup takes its snapshots into,
// inside the data directory.
const tempPattern = ".backup-*"

// RemoveLeftovers deletes what backups cut short by a crash left in the
// data directory dir: a copy of the registry, and hard links that would
// keep pruned media on disk. Call it only while holding the registry (the
// gateway at start), so no backup of this directory is under way.
func RemoveLeftovers(dir string) (int, error) {
	left, err := filepath.Glob(filepath.Join(dir, tempPattern))
	if err != nil {
		return 0, err
	}
	for _, p := range left {
		if err := os.RemoveAll(p); err != nil {
			return 0, fmt.Errorf("remove a cut-short backup's files: %w", err)
		}
	}
	return len(left), nil
}

// Write streams a backup of the data directory dir, whose registry is
// store, to w. The snapshots are taken first into a temporary directory
// inside dir (the same disk, removed afterwards), so a slow reader of w
// holds no transaction open.
func Write(ctx context.Context, w io.Writer, store *registry.Store, dir, version string) (Manifest, error) {
	tmp, err := os.MkdirTemp(dir, tempPattern)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)

	m := Manifest{Format: format, Version: version, CreatedAt: store.Now().UTC()}
	dbCopy := filepath.Join(tmp, "higate.db")
	media, err := store.Snapshot(dbCopy)
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	defer registry.Release(media)
	if info, err := os.Stat(dbCopy); err == nil {
		m.Registry = info.Size()
	}
	devDir := filepath.Join(tmp, "whatsmeow")
	if err := os.Mkdir(devDir, 0o700); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if m.Devices, err = wameow.SnapshotStores(ctx, dir, devDir); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	for _, f := range media {
		if f.Inbound {
			m.InboundMedia++
		} else {
			m.Media++
		}
	}

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := writeEntry(tw, "MANIFEST.json", int64(len(manifest)), m.CreatedAt, bytes.NewReader(manifest)); err != nil {
		return m, err
	}
	if err := writeFile(tw, "higate.db", dbCopy, m.CreatedAt); err != nil {
		return m, err
	}
	for _, name := range m.Devices {
		if err := writeFile(tw, "whatsmeow/"+name, filepath.Join(devDir, name), m.CreatedAt); err != nil {
			return m, err
		}
	}
	for _, f := range media {
		if err := writeMedia(tw, f, m.CreatedAt); err != nil {
			return m, err
		}
	}
	if err := tw.Close(); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// entryPath is where a snapshot's file goes in the archive: the path it
// has under the data directory, so Restore moves it into place as it is.
func entryPath(f registry.SnapshotMedia) string {
	if f.Inbound {
		return "inbound/" + f.Name
	}
	return "media/" + f.Name
}

func writeMedia(tw *tar.Writer, f registry.SnapshotMedia, at time.Time) error {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer r.Close()
	return writeEntry(tw, entryPath(f), f.Size, at, r)
}

func writeFile(tw *tar.Writer, name, path string, at time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return writeEntry(tw, name, info.Size(), at, f)
}

func writeEntry(tw *tar.Writer, name string, size int64, at time.Time, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	// A file that changed size since its header would corrupt the archive:
	// copy exactly size bytes and fail if there are fewer.
	if _, err := io.CopyN(tw, r, size); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	return nil
}

// ErrExists is returned by Restore when the target already holds a registry.
var ErrExists = errors.New("the data directory already holds a registry")
