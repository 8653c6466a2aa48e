package registry

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// SnapshotMedia is a media file that a snapshot's jobs reference, opened at
// the moment of the snapshot: the janitor may delete the file afterwards,
// but the open handle still reads it.
type SnapshotMedia struct {
	Name string
	File *os.File
	Size int64
}

// Snapshot writes a consistent copy of the registry to path (a new file,
// mode 0600) while the gateway keeps serving: bbolt's tx.WriteTo inside one
// read transaction, never a copy of the live file, which would mix pages of
// different commits. It also opens the media files that the copy's queued
// jobs reference, in the same transaction, so the copy and its media agree.
// The caller closes the returned files.
//
// The copy goes to a local file rather than straight to a slow reader: a
// long read transaction keeps bbolt from growing its memory map, which
// would stall the writers behind it.
func (s *Store) Snapshot(path string) ([]SnapshotMedia, error) {
	var media []SnapshotMedia
	err := s.db.View(func(tx *bolt.Tx) error {
		s.mediaMu.Lock() // no sweep between reading the references and opening the files
		err := tx.Bucket(bucketMedia).ForEach(func(k, _ []byte) error {
			f, err := os.Open(s.mediaPath(string(k)))
			if os.IsNotExist(err) {
				return nil // already gone: its jobs will fail to send, as they would have
			}
			if err != nil {
				return err
			}
			info, err := f.Stat()
			if err != nil {
				f.Close()
				return err
			}
			media = append(media, SnapshotMedia{Name: string(k), File: f, Size: info.Size()})
			return nil
		})
		s.mediaMu.Unlock()
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
