package registry

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"higate/quota"
)

// FindAccounts pages through every account in client-ID order, finds
// accounts by the beginning of a client ID or of an e-mail address
// (whatever its case), follows a changed address, and works on a registry
// written before the e-mail index existed.
func TestFindAccountsPagesAndSearches(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	var nas []NewAccount
	for i := range 7 {
		nas = append(nas, NewAccount{Email: fmt.Sprintf("Dev%d@Example.com", i), Plan: quota.Trial})
	}
	nas = append(nas, NewAccount{Email: "ops@other.org", Plan: quota.Trial})
	creds, err := s.SeedAccounts(nas)
	if err != nil {
		t.Fatal(err)
	}
	collect := func(q AccountQuery) (ids []string, emails []string) {
		t.Helper()
		for range 100 {
			p, err := s.FindAccounts(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Accounts) > q.Limit {
				t.Fatalf("page of %d, limit %d", len(p.Accounts), q.Limit)
			}
			for _, a := range p.Accounts {
				ids = append(ids, a.ClientID)
				emails = append(emails, a.Email)
			}
			if p.Next == "" {
				return ids, emails
			}
			q.After = p.Next
		}
		t.Fatal("pagination never ends")
		return nil, nil
	}

	ids, _ := collect(AccountQuery{Limit: 3})
	if len(ids) != 8 {
		t.Fatalf("listed %d accounts, want 8: %v", len(ids), ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Fatalf("not in client-ID order: %v", ids)
		}
	}
	if _, emails := collect(AccountQuery{Search: "dev", Limit: 2}); len(emails) != 7 || emails[0] != "Dev0@Example.com" || emails[6] != "Dev6@Example.com" {
		t.Errorf("search dev: %v", emails)
	}
	if _, emails := collect(AccountQuery{Search: "DEV3@example.COM", Limit: 5}); len(emails) != 1 || emails[0] != "Dev3@Example.com" {
		t.Errorf("search by address: %v", emails)
	}
	if got, _ := collect(AccountQuery{Search: creds[4].ClientID[:10], Limit: 5}); len(got) == 0 || got[0][:10] != creds[4].ClientID[:10] {
		t.Errorf("search by client ID prefix: %v", got)
	}
	if got, _ := collect(AccountQuery{Search: creds[4].ClientID, Limit: 5}); len(got) != 1 || got[0] != creds[4].ClientID {
		t.Errorf("search by client ID: %v", got)
	}
	if got, _ := collect(AccountQuery{Search: "nobody@", Limit: 5}); len(got) != 0 {
		t.Errorf("search nobody: %v", got)
	}

	// A changed address is found under the new one only.
	if _, err := s.UpdateAccount(creds[7].ClientID, func(a *Account) error { a.Email = "new@other.org"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := collect(AccountQuery{Search: "ops@", Limit: 5}); len(got) != 0 {
		t.Errorf("old address still found: %v", got)
	}
	if got, _ := collect(AccountQuery{Search: "new@", Limit: 5}); len(got) != 1 || got[0] != creds[7].ClientID {
		t.Errorf("new address: %v", got)
	}

	// A registry of an earlier version has no e-mail index; opening builds it.
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketEmails) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, emails := collect(AccountQuery{Search: "dev", Limit: 50}); len(emails) != 7 {
		t.Errorf("rebuilt index: %v", emails)
	}
}
