package registry_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"higate/gateway"
	"higate/gateway/sim"
	"higate/quota"
	"higate/registry"
	"higate/web"
)

// A write refused for lack of space, as bbolt and os return it.
var (
	errNoSpace = &os.PathError{Op: "write", Path: "higate.db", Err: syscall.ENOSPC}
	errQuota   = fmt.Errorf("commit: %w", &os.PathError{Op: "fdatasync", Path: "higate.db", Err: syscall.EDQUOT})
)

// wantDiskFull checks that err is the 503 a client may retry after a while.
func wantDiskFull(t *testing.T, err error) {
	t.Helper()
	var e *registry.Error
	if !errors.As(err, &e) || e.Code != registry.CodeUnavailable || e.RetryAfter <= 0 || e.Remedy == "" {
		t.Fatalf("got %v (%#v), want a 503 with Retry-After and a remedy", err, e)
	}
}

// TestAFullDiskRefusesWritesWith503 fails commits and spool writes as a
// full disk (or an exhausted quota) does: the registry answers 503 with
// Retry-After, keeps nothing of the refused write, and works again once
// there is space.
func TestAFullDiskRefusesWritesWith503(t *testing.T) {
	for _, cause := range []error{errNoSpace, errQuota} {
		t.Run(cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			id := f.account(quota.Limits{})
			const user = "+4915100000001"
			if _, err := f.store.Register(0, gw, user, "en", "Hi"); err != nil {
				t.Fatal(err)
			}
			f.store.FailCommits(cause)
			_, err := f.store.Accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "hello"})
			wantDiskFull(t, err)
			// A direct write (not the group commit) is mapped too.
			_, err = f.store.CreateAccount(registry.NewAccount{Email: "b@example.com", Plan: quota.Trial})
			wantDiskFull(t, err)

			f.store.FailCommits(nil)
			if jobs, err := f.store.Jobs(id); err != nil || len(jobs) != 0 {
				t.Fatalf("refused send left jobs %v (%v)", jobs, err)
			}
			if u, err := f.store.UsageOf(id); err != nil || u.Window.Used != 0 || u.Recipients != 0 {
				t.Fatalf("refused send was counted: %+v (%v)", u, err)
			}
			if accts, _ := f.store.Accounts(); len(accts) != 1 {
				t.Fatalf("refused account creation left %d accounts", len(accts))
			}
			if _, err := f.store.Accept(registry.SendRequest{ClientID: id, Kind: "text", To: user, Text: "hello"}); err != nil {
				t.Fatalf("send with space again: %v", err)
			}

			f.store.FailSpools(cause)
			_, err = f.store.SpoolMedia([]byte("a picture"))
			wantDiskFull(t, err)
			f.store.FailSpools(nil)
			if names := mediaFiles(t, f.dir); len(names) != 0 {
				t.Fatalf("refused spool left %v", names)
			}
		})
	}
}

func mediaFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(filepath.Join(dir, "media"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, d.Name())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestAFullDiskAnswers503OverHTTP sends through the public API while the
// disk is full: the answer is a 503 in the documented error shape with
// Retry-After, not a 500; nothing of the send remains; and the same send
// goes through once there is space.
func TestAFullDiskAnswers503OverHTTP(t *testing.T) {
	dir := t.TempDir()
	store, err := registry.Open(dir, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	network, err := sim.Open(filepath.Join(dir, "sim"), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer network.Close()
	if err := store.EnsureInstance(0, "sandbox"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddNumber(registry.Number{Number: gw, Instance: 0, Transport: "sim", Role: registry.RoleActive}); err != nil {
		t.Fatal(err)
	}
	gwy := gateway.NewService(gateway.Options{Store: store,
		Dial: func(n registry.Number) (gateway.Transport, error) { return network.Attach(n.Number), nil }})
	if err := gwy.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer gwy.Stop()
	srv := httptest.NewServer(web.NewServer(web.Deps{Store: store, Gateway: gwy, Sim: network, AdminToken: "disk-full-admin-token"}))
	defer srv.Close()

	creds, err := store.CreateAccount(registry.NewAccount{Email: "a@example.com", Plan: quota.Trial})
	if err != nil {
		t.Fatal(err)
	}
	const user = "+4915100000001"
	if _, err := store.Register(0, gw, user, "en", "Hi"); err != nil {
		t.Fatal(err)
	}
	send := func(kind string, body map[string]string) (*http.Response, map[string]any) {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL+"/v3/whatsapp/single/"+kind+"/message/0", bytes.NewReader(data))
		req.Header.Set("X-WM-CLIENT-ID", creds.ClientID)
		req.Header.Set("X-WM-CLIENT-SECRET", creds.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp, out
	}
	want503 := func(resp *http.Response, out map[string]any) {
		t.Helper()
		if resp.StatusCode != 503 || out["status"] != "error" || out["code"] != 503.0 || out["remedy"] == "" ||
			!strings.Contains(out["message"].(string), "disk is full") {
			t.Fatalf("got %d %v, want the documented 503 for a full disk", resp.StatusCode, out)
		}
		if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("Retry-After %q", ra)
		}
	}

	text := map[string]string{"number": user, "message": "hello"}
	image := map[string]string{"number": user, "image": base64.StdEncoding.EncodeToString(png1x1)}

	store.FailCommits(errNoSpace)
	want503(send("text", text))
	want503(send("image", image)) // spooled, then the commit fails
	store.FailCommits(nil)
	store.FailSpools(errNoSpace)
	// Another picture: the first one is spooled already, and spooling
	// the same content again only touches its file.
	other := append(bytes.Clone(png1x1), 0)
	want503(send("image", map[string]string{"number": user, "image": base64.StdEncoding.EncodeToString(other)}))
	store.FailSpools(nil)

	if jobs, err := store.Jobs(creds.ClientID); err != nil || len(jobs) != 0 {
		t.Fatalf("refused sends left jobs %v (%v)", jobs, err)
	}
	if u, _ := store.UsageOf(creds.ClientID); u.Window.Used != 0 {
		t.Fatalf("refused sends were counted: %+v", u)
	}
	// The image spooled before its commit failed is not referenced by any
	// job; the janitor's sweep removes it (here without its grace time).
	if _, err := store.SweepMedia(0); err != nil {
		t.Fatal(err)
	}
	if names := mediaFiles(t, dir); len(names) != 0 {
		t.Fatalf("refused sends left media %v", names)
	}

	resp, out := send("text", text)
	if resp.StatusCode != 200 || out["status"] != "queued" {
		t.Fatalf("send with space again: %d %v", resp.StatusCode, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(network.Messages(user)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the send after the disk had space again was not delivered")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// png1x1 is a 1x1 PNG.
var png1x1, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
