package registry

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// metaMessageIDKey holds the key that turns job IDs into message IDs.
const metaMessageIDKey = "msgid/key"

// messageIDs makes a job's WhatsApp message ID from its job ID, and finds
// the job again from a message ID, without an index.
//
// A message ID is "3EB0", 16 upper-case hex digits that are the job ID
// through a keyed 64-bit permutation, and 2 random ones: 22 characters,
// the shape whatsmeow's GenerateMessageID gives WhatsApp Web's IDs. The
// permutation makes consecutive jobs' IDs look as random as WhatsApp Web's
// (sequential ones would mark the gateway as a bot). It is four Feistel
// rounds with AES as the round function (Luby-Rackoff), keyed by 16 random
// bytes kept in the registry, so a restored backup still knows its IDs.
//
// It replaces a msgids index from message ID to job: its keys were random,
// so each accept dirtied a different page of a growing B-tree, which cost
// as much as writing the job itself (docs/BENCHMARKS.md). The index is
// still read for jobs of earlier versions.
type messageIDs struct {
	block cipher.Block
}

// loadMessageIDs reads the permutation's key, creating it on first use.
func loadMessageIDs(tx *bolt.Tx) (messageIDs, error) {
	meta := tx.Bucket(bucketMeta)
	key := meta.Get([]byte(metaMessageIDKey))
	if key == nil {
		key = make([]byte, 16)
		if _, err := rand.Read(key); err != nil {
			return messageIDs{}, err
		}
		if err := meta.Put([]byte(metaMessageIDKey), key); err != nil {
			return messageIDs{}, err
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return messageIDs{}, fmt.Errorf("message ID key: %w", err)
	}
	return messageIDs{block: block}, nil
}

// forJob returns the message ID of a job.
func (m messageIDs) forJob(id uint64) string {
	var b [9]byte
	binary.BigEndian.PutUint64(b[:8], m.permute(id, false))
	_, _ = rand.Read(b[8:]) // crypto/rand.Read never fails on supported platforms
	return "3EB0" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// jobOf returns the job ID a message ID was made from, if it has our shape.
// The caller must check that the job's MessageID is msgID: any 22-character
// ID (one sent from the phone itself, say) maps to some job ID.
func (m messageIDs) jobOf(msgID string) (uint64, bool) {
	rest, ok := strings.CutPrefix(msgID, "3EB0")
	if !ok || len(rest) != 18 {
		return 0, false
	}
	var b [9]byte
	if _, err := hex.Decode(b[:], []byte(rest)); err != nil {
		return 0, false
	}
	return m.permute(binary.BigEndian.Uint64(b[:8]), true), true
}

// permute runs the Feistel network over v's two 32-bit halves, backwards
// to invert it.
func (m messageIDs) permute(v uint64, inverse bool) uint64 {
	l, r := uint32(v>>32), uint32(v)
	for i := range 4 {
		if inverse {
			l, r = r^m.round(3-i, l), l
		} else {
			l, r = r, l^m.round(i, r)
		}
	}
	return uint64(l)<<32 | uint64(r)
}

// round is the Feistel round function: AES of the round number and half.
func (m messageIDs) round(i int, half uint32) uint32 {
	var in, out [aes.BlockSize]byte
	in[0] = byte(i)
	binary.BigEndian.PutUint32(in[1:], half)
	m.block.Encrypt(out[:], in[:])
	return binary.BigEndian.Uint32(out[:])
}

// jobOfMessage reads the job that sent msgID into *j; ErrNotFound if it
// is not one of ours. The key is the job's in the jobs bucket.
func (s *Store) jobOfMessage(tx *bolt.Tx, msgID string, j *Job) (key []byte, err error) {
	jb := tx.Bucket(bucketJobs)
	if id, ok := s.msgIDs.jobOf(msgID); ok {
		key = u64(id)
		if getJob(jb, key, j) == nil && j.MessageID == msgID {
			return key, nil
		}
	}
	key = tx.Bucket(bucketMessageIDs).Get([]byte(msgID)) // written by earlier versions
	if key == nil {
		return nil, ErrNotFound
	}
	return key, getJob(jb, key, j)
}
