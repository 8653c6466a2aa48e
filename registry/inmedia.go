package registry

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Inbound media: the images, documents, audio and video that users send to
// a dedicated (Enterprise) number. The webhook gets a signed, expiring link
// to each (MediaLink); the file itself stays under the data directory, as
// inbound/<id>, until Prune deletes it with the retention of the webhook
// deliveries that point at it. The registry keeps a record per file, keyed
// by a sequence number so Prune finds the oldest first.
//
// Backups include the files (Snapshot opens them with the records), so
// links already sent to a webhook keep working after a restore. A record
// whose file is missing (a crash between the record and the file) answers
// 404, as a pruned one does.

// metaMediaLinkKey holds the HMAC key that signs media links. It lives in
// the registry, so links survive a restart and a restored backup, and is
// random per registry, so a link of one server is worth nothing on another.
const metaMediaLinkKey = "medialink/key"

// Codes of a media link that does not check out.
const (
	CodeBadLink     = 403 // the signature does not match: the link was altered, or is not this server's
	CodeLinkExpired = 410 // the link is past its expiry
)

// InboundMedia is one file a user sent to a dedicated number.
type InboundMedia struct {
	ID        uint64    `json:"id"`
	Instance  uint64    `json:"instance"`
	Account   string    `json:"account"` // the instance's owner when it arrived
	Kind      string    `json:"kind"`    // image, document, audio or video
	Mimetype  string    `json:"mimetype"`
	Filename  string    `json:"filename,omitempty"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// IDString is the media ID as links show it.
func (m InboundMedia) IDString() string { return strconv.FormatUint(m.ID, 10) }

// loadMediaLinkKey reads the key that signs media links, creating it on
// first use.
func loadMediaLinkKey(tx *bolt.Tx) ([]byte, error) {
	meta := tx.Bucket(bucketMeta)
	if key := meta.Get([]byte(metaMediaLinkKey)); len(key) == 32 {
		return append([]byte(nil), key...), nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, meta.Put([]byte(metaMediaLinkKey), key)
}

// SaveInboundMedia keeps data as a new inbound media file described by m
// (its ID, size and time are set here) and returns the stored record. The
// record is committed first and the file written after it, to a temporary
// name that is synced and renamed: a crash leaves a record without a file
// (answered 404, pruned in time), never a file that nothing deletes. A full
// disk is a 503 (see diskFull).
func (s *Store) SaveInboundMedia(m InboundMedia, data []byte) (InboundMedia, error) {
	m.Size, m.CreatedAt = int64(len(data)), s.now().UTC()
	err := s.batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInMedia)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		m.ID = id
		return putJSON(b, u64(id), m)
	})
	if err != nil {
		return InboundMedia{}, fmt.Errorf("save inbound media: %w", err)
	}
	if err := s.writeInboundFile(m.ID, data); err != nil {
		_ = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInMedia).Delete(u64(m.ID)) })
		return InboundMedia{}, s.full.check("save inbound media", fmt.Errorf("save inbound media: %w", err))
	}
	return m, nil
}

func (s *Store) writeInboundFile(id uint64, data []byte) error {
	path := s.inboundPath(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func (s *Store) inboundPath(id uint64) string {
	return filepath.Join(s.dir, "inbound", strconv.FormatUint(id, 10))
}

// OpenInboundMedia returns the record of an inbound media file and the
// file, opened for reading; the caller closes it. ErrNotFound when the
// record or its file is gone (pruned, or lost to a crash or a restore).
func (s *Store) OpenInboundMedia(id uint64) (InboundMedia, *os.File, error) {
	var m InboundMedia
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketInMedia), u64(id), &m) })
	if err != nil {
		return InboundMedia{}, nil, err
	}
	f, err := os.Open(s.inboundPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return InboundMedia{}, nil, ErrNotFound
	}
	if err != nil {
		return InboundMedia{}, nil, err
	}
	return m, f, nil
}

// SignMediaLink returns the signature of a link to inbound media id that
// is good until exp (whole seconds): hex HMAC-SHA256 under the registry's
// link key, over the ID and the expiry, so neither can be changed.
func (s *Store) SignMediaLink(id uint64, exp time.Time) string {
	return hex.EncodeToString(s.mediaLinkMAC(id, exp.Unix()))
}

func (s *Store) mediaLinkMAC(id uint64, exp int64) []byte {
	mac := hmac.New(sha256.New, s.linkKey)
	var msg [6 + 16]byte
	copy(msg[:], "media\x00")
	binary.BigEndian.PutUint64(msg[6:], id)
	binary.BigEndian.PutUint64(msg[14:], uint64(exp))
	mac.Write(msg[:])
	return mac.Sum(nil)
}

// CheckMediaLink verifies a media link's expiry (Unix seconds) and
// signature, comparing in constant time. The signature is checked first,
// so a link whose expiry was pushed back is refused as altered (403), and
// only a genuine one is told it expired (410).
func (s *Store) CheckMediaLink(id uint64, exp int64, sig string) error {
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mediaLinkMAC(id, exp)) {
		return Errorf(CodeBadLink, "use the media_url exactly as the webhook gave it",
			"the media link's signature does not match")
	}
	if s.now().Unix() > exp {
		return Errorf(CodeLinkExpired, "download media when the webhook arrives, or fetch it with your client ID and secret (X-WM headers) without exp and sig",
			"the media link expired at %s", time.Unix(exp, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// pruneInboundMedia lists inbound media older than cutoff, oldest first,
// up to pruneChunk.
func pruneInboundMedia(tx *bolt.Tx, cutoff time.Time) [][]byte {
	return oldKeys(tx.Bucket(bucketInMedia), func(v []byte) (old, drop bool) {
		var m InboundMedia
		if json.Unmarshal(v, &m) != nil {
			return false, false
		}
		return m.CreatedAt.Before(cutoff), true
	})
}

// removeInboundFiles deletes the files of pruned inbound media records.
func (s *Store) removeInboundFiles(keys [][]byte) {
	for _, k := range keys {
		path := s.inboundPath(binary.BigEndian.Uint64(k))
		for _, p := range []string{path, path + ".part"} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("remove inbound media", "file", p, "err", err)
			}
		}
	}
}
