package registry

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// SnapshotMedia is a file that belongs with a snapshot, held as it was at
// the moment of the snapshot: the janitor or Prune may delete the file
// afterwards, but the snapshot still reads it. It is held by a hard link
// beside the snapshot's copy of the registry (Path), or, where the file
// system cannot link, by an open handle (File); Open reads either.
type SnapshotMedia struct {
	// Name is the file's name on disk: the SHA-256 (hex) of a queued job's
	// media under media/, or the record ID (decimal) of an inbound media
	// file under inbound/.
	Name string
	Path string   // the hard link, if there is one
	File *os.File // the open file, if there is no link
	Size int64
	// Inbound tells a file a user sent a dedicated number (inmedia.go) from
	// the media of a queued job.
	Inbound bool
}

// Open reads the held file; the caller closes it.
func (m SnapshotMedia) Open() (io.ReadCloser, error) {
	if m.File != nil {
		return io.NopCloser(io.NewSectionReader(m.File, 0, m.Size)), nil
	}
	return os.Open(m.Path)
}

// Release closes the open files among media. The hard links go with the
// directory the caller gave Snapshot.
func Release(media []SnapshotMedia) {
	for _, m := range media {
		if m.File != nil {
			m.File.Close()
		}
	}
}

// Snapshot writes a consistent copy of the registry to path (a new file,
// mode 0600) while the gateway keeps serving: bbolt's tx.WriteTo inside one
// read transaction, never a copy of the live file, which would mix pages of
// different commits. It also holds, in the same transaction, the media
// files that the copy's queued jobs reference and the file of every inbound
// media record in the copy, so the copy and its files agree. A file that is
// already gone is left out: its record answers 404 after a restore, as it
// does now. The files are held by hard links in a directory "files" beside
// path (thirty days of inbound media can be more files than a process may
// hold open), else open; the caller calls Release when done, and removes
// the directory of path.
//
// The copy goes to a local file rather than straight to a slow reader: a
// long read transaction keeps bbolt from growing its memory map, which
// would stall the writers behind it.
func (s *Store) Snapshot(path string) ([]SnapshotMedia, error) {
	var media []SnapshotMedia
	links := filepath.Join(filepath.Dir(path), "files")
	if err := os.Mkdir(links, 0o700); err != nil {
		return nil, fmt.Errorf("snapshot registry: %w", err)
	}
	hold := func(src string, m SnapshotMedia) error {
		return holdFile(&media, src, filepath.Join(links, strconv.Itoa(len(media))), m)
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		s.mediaMu.Lock() // no sweep between reading the references and opening the files
		err := tx.Bucket(bucketMedia).ForEach(func(k, _ []byte) error {
			return hold(s.mediaPath(string(k)), SnapshotMedia{Name: string(k)})
		})
		s.mediaMu.Unlock()
		if err != nil {
			return err
		}
		// Prune deletes an inbound file before its record, without a lock:
		// holding each file as its record is read leaves no moment in which
		// a file is listed but not yet held, so a file Prune removes is
		// either held (and still reads) or left out.
		err = tx.Bucket(bucketInMedia).ForEach(func(k, _ []byte) error {
			id := binary.BigEndian.Uint64(k)
			return hold(s.inboundPath(id), SnapshotMedia{Name: InboundMedia{ID: id}.IDString(), Inbound: true})
		})
		if err != nil {
			return err
		}
		return tx.CopyFile(path, 0o600)
	})
	if err != nil {
		Release(media)
		return nil, fmt.Errorf("snapshot registry: %w", err)
	}
	return media, nil
}

// linkFile is os.Link; tests make it fail as on a file system without links.
var linkFile = os.Link

// holdFile holds the file at path for a snapshot, by a hard link at link,
// else open, and appends it to media as m; a file that does not exist is
// skipped (a queued job's media swept after its job failed, an inbound
// file pruned or lost to a crash).
func holdFile(media *[]SnapshotMedia, path, link string, m SnapshotMedia) error {
	err := linkFile(path, link)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil {
		info, err := os.Stat(link)
		if err != nil {
			return err
		}
		m.Path, m.Size = link, info.Size()
		*media = append(*media, m)
		return nil
	}
	// No link here (another file system, one without links): hold it open.
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
