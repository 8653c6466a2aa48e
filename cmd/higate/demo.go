package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"higate/quota"
	"higate/registry"
)

// demoFileName is the file in the data directory where --demo keeps the
// demo account's credentials and the admin token it generated. The
// registry stores only the secret's hash, so without it every start would
// have to give the account a new secret, and the secret and token a
// developer pasted an hour ago would stop working. It holds secrets:
// mode 0600, and only in demo mode.
const demoFileName = "demo.json"

const demoEmail = "demo@higate.local"

// demoCreds is what demo.json holds.
type demoCreds struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	AdminToken   string `json:"admin_token"`
}

// loadDemo returns the demo account's credentials and an admin token: the
// ones in dir/demo.json while the stored secret still authenticates, else
// new ones (the account's secret rotated, or the account created, e.g.
// when the registry was replaced), which it saves there before returning.
func loadDemo(dir string, store *registry.Store, log *slog.Logger) (demoCreds, error) {
	path := filepath.Join(dir, demoFileName)
	var d demoCreds
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &d); err != nil {
			log.Warn("demo credentials unreadable; making new ones", "file", path, "err", err)
			d = demoCreds{}
		}
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
			// Someone widened it; it holds an admin token.
			if err := os.Chmod(path, 0o600); err != nil {
				return d, fmt.Errorf("demo credentials: %w", err)
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return d, fmt.Errorf("demo credentials: %w", err)
	}
	changed := false
	if _, err := store.Authenticate(d.ClientID, d.ClientSecret); d.ClientID == "" || err != nil {
		creds, err := demoAccount(store)
		if err != nil {
			return d, fmt.Errorf("demo account: %w", err)
		}
		d.ClientID, d.ClientSecret, changed = creds.ClientID, creds.ClientSecret, true
	}
	if d.AdminToken == "" {
		d.AdminToken, changed = registry.RandomHex(24), true
	}
	if changed {
		data, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return d, err
		}
		if err := writeFileAtomic(path, append(data, '\n')); err != nil {
			return d, fmt.Errorf("demo credentials: %w", err)
		}
	}
	return d, nil
}

// demoAccount gives the demo Trial account a new secret, creating the
// account on sandbox instance 0 if there is none.
func demoAccount(store *registry.Store) (registry.Credentials, error) {
	accts, err := store.Accounts()
	if err != nil {
		return registry.Credentials{}, err
	}
	for _, a := range accts {
		if a.Email == demoEmail {
			return store.RotateSecret(a.ClientID)
		}
	}
	return store.CreateAccount(registry.NewAccount{Email: demoEmail, Plan: quota.Trial, Instance: registry.SandboxInstance})
}

// writeFileAtomic replaces path with data, mode 0600: written to a
// temporary file, fsynced, renamed over path and the directory fsynced, so
// a crash leaves the old file or the new one, never a part of either.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
