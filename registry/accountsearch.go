package registry

import (
	"bytes"
	"encoding/json"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// The operator console lists and searches accounts a page at a time. Client
// IDs are the accounts bucket's keys, so a list or a client-ID search is a
// cursor from where the last page ended. E-mail addresses have an index
// (bucketEmails: the lower-case address, 0, the client ID), kept in step
// by putAccount and built on open for registries written before it, so a
// search by e-mail reads only the accounts it shows, however many there are.

// AccountQuery selects a page of accounts.
type AccountQuery struct {
	// Search is a client ID or its beginning ("hg_..."), or an e-mail
	// address or its beginning (case does not matter); "" lists all.
	Search string
	After  string // AccountPage.Next of the previous page; "" starts at the first
	Limit  int    // at most this many; default 50
}

// AccountPage is one page of accounts, in client-ID order (by e-mail
// address for an e-mail search).
type AccountPage struct {
	Accounts []Account
	Next     string // After for the next page; "" on the last page
}

// FindAccounts returns a page of the accounts q selects.
func (s *Store) FindAccounts(q AccountQuery) (AccountPage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	search := strings.TrimSpace(q.Search)
	var page AccountPage
	err := s.db.View(func(tx *bolt.Tx) error {
		ab := tx.Bucket(bucketAccounts)
		bucket, prefix := ab, []byte(search)
		byEmail := search != "" && !strings.HasPrefix(search, "hg_")
		if byEmail {
			bucket, prefix = tx.Bucket(bucketEmails), []byte(strings.ToLower(search))
		}
		c := bucket.Cursor()
		k, _ := c.Seek(prefix)
		if q.After != "" && q.After > string(prefix) {
			if k, _ = c.Seek([]byte(q.After)); k != nil && string(k) == q.After {
				k, _ = c.Next()
			}
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(page.Accounts) == q.Limit {
				page.Next = string(page.lastKey(byEmail))
				return nil
			}
			id := k
			if byEmail {
				id = k[bytes.LastIndexByte(k, 0)+1:]
			}
			var a Account
			if err := getJSON(ab, id, &a); err != nil {
				return err
			}
			page.Accounts = append(page.Accounts, a)
		}
		return nil
	})
	return page, err
}

// lastKey is the key of the page's last account in the bucket it was read from.
func (p AccountPage) lastKey(byEmail bool) []byte {
	a := p.Accounts[len(p.Accounts)-1]
	if byEmail {
		return emailKey(a.Email, a.ClientID)
	}
	return []byte(a.ClientID)
}

// emailKey is an account's key in the e-mail index; nil without an address.
func emailKey(email, clientID string) []byte {
	if email == "" {
		return nil
	}
	return append(append([]byte(strings.ToLower(email)), 0), clientID...)
}

// reindexEmail keeps the e-mail index in step when old (zero if a is new)
// is written as a. Most writes keep the address, and write nothing here.
func reindexEmail(tx *bolt.Tx, old, a Account) error {
	oldKey, newKey := emailKey(old.Email, old.ClientID), emailKey(a.Email, a.ClientID)
	if bytes.Equal(oldKey, newKey) {
		return nil
	}
	b := tx.Bucket(bucketEmails)
	if oldKey != nil {
		if err := b.Delete(oldKey); err != nil {
			return err
		}
	}
	if newKey == nil {
		return nil
	}
	return b.Put(newKey, nil)
}

// indexEmails builds the e-mail index of a registry written before it existed.
func indexEmails(tx *bolt.Tx) error {
	b := tx.Bucket(bucketEmails)
	return tx.Bucket(bucketAccounts).ForEach(func(_, v []byte) error {
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if k := emailKey(a.Email, a.ClientID); k != nil {
			return b.Put(k, nil)
		}
		return nil
	})
}
