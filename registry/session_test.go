package registry_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

func TestSessions(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	cookie, err := f.store.CreateSession(registry.SessionPortal, id, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const idle = 30 * time.Minute
	s, err := f.store.SessionOf(registry.SessionPortal, cookie, idle)
	if err != nil || s.Subject != id {
		t.Fatalf("SessionOf = %+v, %v", s, err)
	}
	// A cookie of one kind is no session of another, and a forged token is none.
	if _, err := f.store.SessionOf(registry.SessionConsole, cookie, idle); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("portal cookie as console session: %v", err)
	}
	if _, err := f.store.SessionOf(registry.SessionPortal, id+".00", idle); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("forged token: %v", err)
	}
	// Use keeps it alive past the idle limit counted from its start ...
	for range 3 {
		f.advance(20 * time.Minute)
		if _, err := f.store.SessionOf(registry.SessionPortal, cookie, idle); err != nil {
			t.Fatalf("active session ended: %v", err)
		}
	}
	// ... but not past its absolute end.
	f.advance(61 * time.Minute)
	if _, err := f.store.SessionOf(registry.SessionPortal, cookie, 24*time.Hour); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("session past its end: %v", err)
	}

	// Idle too long: ended.
	cookie, _ = f.store.CreateSession(registry.SessionPortal, id, 2*time.Hour)
	f.advance(idle + time.Second)
	if _, err := f.store.SessionOf(registry.SessionPortal, cookie, idle); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("idle session: %v", err)
	}

	// Logout ends one; a secret rotation ends all of the account's.
	a, _ := f.store.CreateSession(registry.SessionPortal, id, time.Hour)
	b, _ := f.store.CreateSession(registry.SessionPortal, id, time.Hour)
	console, _ := f.store.CreateSession(registry.SessionConsole, "", time.Hour)
	if err := f.store.EndSession(registry.SessionPortal, a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SessionOf(registry.SessionPortal, a, idle); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("after logout: %v", err)
	}
	if _, err := f.store.RotateSecret(id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.SessionOf(registry.SessionPortal, b, idle); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("after secret rotation: %v", err)
	}
	if _, err := f.store.SessionOf(registry.SessionConsole, console, idle); err != nil {
		t.Errorf("console session ended by a developer's rotation: %v", err)
	}

	// Sessions survive a restart, and the token is not stored in clear.
	f.store.Close()
	raw, err := os.ReadFile(f.dir + "/higate.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, token, _ := strings.Cut(console, "."); strings.Contains(string(raw), token) {
		t.Error("the session token is stored in clear")
	}
	f.open()
	if _, err := f.store.SessionOf(registry.SessionConsole, console, idle); err != nil {
		t.Errorf("console session after restart: %v", err)
	}
}
