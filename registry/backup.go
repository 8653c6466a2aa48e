package registry

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// SnapshotMedia is a file that belongs with a snapshot, opened at the
// moment of the snapshot: the janitor or Prune may delete the file
// afterwards, but the open handle still reads it.
type SnapshotMedia struct {
	// Name is the file's name on disk: the SHA-256 (hex) of a queued job's
	// media under media/, or the record ID (decimal) of an inbound media
	// file under inbound/.
	Name string
	File *os.File
	Size int64
	// Inbound tells a file a user sent a dedicated number (inmedia.go) from
	// the media of a queued job.
	Inbound bool
}

// Snapshot writes a consistent copy of the registry to path (a new file,
// mode 0600) while the gateway keeps serving: bbolt's tx.WriteTo inside one
// read transaction, never a copy of the live file, which would mix pages of
// different commits. It also opens, in the same transaction, the media
// files that the copy's queued jobs reference and the file of every inbound
// media record in the copy, so the copy and its files agree. A file that is
// already gone is left out: its record answers 404 after a restore, as it
// does now. The caller closes the returned files.
//
// The copy goes to a local file rather than straight to a slow reader: a
// long read transaction keeps bbolt from growing its memory map, which
// would stall the writers behind it.
func (s *Store) Snapshot(path string) ([]SnapshotMedia, error) {
	var media []SnapshotMedia
	err := s.db.View(func(tx *bolt.Tx) error {
		s.mediaMu.Lock() // no sweep between reading the references and opening the files
		err := tx.Bucket(bucketMedia).ForEach(func(k, _ []byte) error {
			return snapshotFile(&media, s.mediaPath(string(k)), SnapshotMedia{Name: string(k)})
		})
		s.mediaMu.Unlock()
		if err != nil {
			return err
		}
		// Prune deletes an inbound file before its record, without a lock:
		// opening each file as its record is read leaves no moment in which
		// a file is listed but not yet held, so a file Prune removes is
		// either held open (and still reads) or left out.
		err = tx.Bucket(bucketInMedia).ForEach(func(k, _ []byte) error {
			id := binary.BigEndian.Uint64(k)
			return snapshotFile(&media, s.inboundPath(id), SnapshotMedia{Name: InboundMedia{ID: id}.IDString(), Inbound: true})
		})
		if err != nil {
			return err
		}
		return tx.CopyFile(path, 0o600)
	})
	if err != nil {
		for _, m := range media {
			m.File.Close()
		}
		return nil, fmt.Errorf("snapshot registry: %w", err)
	}
	return media, nil
}

// snapshotFile opens the file at path and appends it to media as m; a file
// that does not exist is skipped (a queued job's media swept after its job
// failed, an inbound file pruned or lost to a crash).
func snapshotFile(media *[]SnapshotMedia, path string, m SnapshotMedia) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	m.File, m.Size = f, info.Size()
	*media = append(*media, m)
	return nil
}
