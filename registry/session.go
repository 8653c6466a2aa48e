package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session is a signed-in browser of the web console or developer portal.
// The cookie holds a random token; the registry keeps only its SHA-256, so
// a copy of the database gives no one a live session.
type Session struct {
	Kind    string    `json:"kind"`    // "portal" or "console"
	Subject string    `json:"subject"` // the account's client ID; "" for the console
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`    // last use; the idle expiry counts from here
	Expires time.Time `json:"expires"` // absolute end, however active the session
}

// The kinds of session.
const (
	SessionPortal  = "portal"  // a developer, signed in with client ID and secret
	SessionConsole = "console" // an operator, signed in with the admin token
)

// sessionTouch is how stale Seen may get before a lookup writes it again:
// pages are read far more often than the idle expiry needs to move.
const sessionTouch = time.Minute

// sessionKey is the bucket key of a token: kind, 0, subject, 0, sha256(token),
// so that ending every session of one account is a prefix scan.
func sessionKey(kind, subject, token string) []byte {
	sum := sha256.Sum256([]byte(token))
	k := make([]byte, 0, len(kind)+len(subject)+2+2*len(sum))
	k = append(k, kind...)
	k = append(k, 0)
	k = append(k, subject...)
	k = append(k, 0)
	return hex.AppendEncode(k, sum[:])
}

// CreateSession starts a session of kind for subject that ends after idle
// without use, and at the latest after maxAge. It returns the token for the
// cookie; the token is the session's only credential and is stored hashed.
func (s *Store) CreateSession(kind, subject string, maxAge time.Duration) (string, error) {
	token := RandomHex(32)
	now := s.now().UTC()
	sess := Session{Kind: kind, Subject: subject, Created: now, Seen: now, Expires: now.Add(maxAge)}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSessions), sessionKey(kind, subject, token), sess)
	})
	if err != nil {
		return "", err
	}
	// The subject is part of the key, so the cookie carries it beside the token.
	return subject + "." + token, nil
}

// SessionOf returns the live session of kind that cookie names, or
// ErrNotFound when there is none, it has been idle longer than idle, or it
// is past its absolute end. A live session's last use is moved to now.
func (s *Store) SessionOf(kind, cookie string, idle time.Duration) (Session, error) {
	subject, token, ok := cutLast(cookie, '.')
	if !ok || token == "" {
		return Session{}, ErrNotFound
	}
	key := sessionKey(kind, subject, token)
	now := s.now().UTC()
	var sess Session
	err := s.db.View(func(tx *bolt.Tx) error { return getJSON(tx.Bucket(bucketSessions), key, &sess) })
	if err != nil {
		return Session{}, err
	}
	if now.After(sess.Expires) || now.Sub(sess.Seen) > idle {
		_ = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key) })
		return Session{}, ErrNotFound
	}
	if now.Sub(sess.Seen) > sessionTouch {
		sess.Seen = now
		err = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSessions)
			if b.Get(key) == nil { // ended meanwhile (logout, secret rotation)
				return ErrNotFound
			}
			return putJSON(b, key, sess)
		})
	}
	return sess, err
}

// EndSession ends the session cookie names; ending an unknown one is no error.
func (s *Store) EndSession(kind, cookie string) error {
	subject, token, _ := cutLast(cookie, '.')
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete(sessionKey(kind, subject, token))
	})
}

// EndSessions ends every session of kind for subject (a secret rotation
// signs the account out everywhere). It returns how many it ended.
func (s *Store) EndSessions(kind, subject string) (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = endSessions(tx, kind, subject)
		return err
	})
	return n, err
}

func endSessions(tx *bolt.Tx, kind, subject string) (int, error) {
	prefix := append(append(append([]byte(kind), 0), subject...), 0)
	var keys [][]byte
	c := tx.Bucket(bucketSessions).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := tx.Bucket(bucketSessions).Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// pruneSessions deletes sessions past their absolute end (idle ones are
// deleted when next looked up, or here once past their end). It writes
// only when there is something to delete.
func (s *Store) pruneSessions() error {
	now := s.now().UTC()
	var keys [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var sess Session
			if json.Unmarshal(v, &sess) != nil || now.After(sess.Expires) {
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, k := range keys {
			if err := tx.Bucket(bucketSessions).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	i := bytes.LastIndexByte([]byte(s), sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}
