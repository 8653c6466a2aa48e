package wameow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	// Pure-Go SQLite, registered as "sqlite", so CGO_ENABLED=0 builds work.
	_ "modernc.org/sqlite"
)

// StorePath returns where Open keeps the device database of number.
func StorePath(dir, number string) string {
	return filepath.Join(dir, "whatsmeow", strings.TrimPrefix(number, "+")+".db")
}

// storeDSN opens the database with foreign keys on (whatsmeow's schema
// upgrade refuses to run without them), WAL so readers do not block the
// writer, and a busy timeout instead of immediate "database is locked".
func storeDSN(path string) string {
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
}

var setDeviceName sync.Once

// Open opens (creating if needed) the device store of opts.Number under
// opts.Dir and returns a Transport over a real whatsmeow client. A number
// paired before connects on Start without pairing again.
func Open(ctx context.Context, opts Options) (*Transport, error) {
	digits, err := digitsOf(opts.Number)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("wameow: no data directory")
	}
	opts = opts.withDefaults()
	path := StorePath(opts.Dir, opts.Number)
	if strings.ContainsAny(path, "?#%") {
		// These would be read as URI syntax in the DSN.
		return nil, fmt.Errorf("wameow: data directory %q must not contain ?, # or %%", opts.Dir)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("wameow: create store directory: %w", err)
	}
	// The phone lists linked devices by this name; it is a whatsmeow global,
	// the same for every number, so set it once.
	setDeviceName.Do(func() { store.SetOSInfo("Higate", [3]uint32{1, 0, 0}) })

	wlog := slogLogger{log: opts.Logger.With("component", "whatsmeow", "gateway", mask(opts.Number))}
	container, err := sqlstore.New(ctx, "sqlite", storeDSN(path), wlog.Sub("Database"))
	if err != nil {
		return nil, fmt.Errorf("wameow: open device store %s: %w", path, err)
	}
	device, err := container.GetFirstDevice(ctx)
	if err != nil {
		_ = container.Close()
		return nil, fmt.Errorf("wameow: read device store %s: %w", path, err)
	}
	if device.ID != nil && device.ID.User != digits {
		_ = container.Close()
		return nil, fmt.Errorf("wameow: device store %s is linked to another number (%s)", path, mask("+"+device.ID.User))
	}
	cli := whatsmeow.NewClient(device, wlog)
	cli.EnableAutoReconnect = true
	t := New(opts, newRealClient(cli, opts.ConnectTimeout))
	t.closeStore = container.Close
	// Refuse a link from a phone with a different number: the store file is
	// named after the gateway number, and sending from the wrong number
	// would reach users who never greeted it.
	cli.PrePairCallback = func(jid types.JID, _, _ string) bool {
		return t.checkPairingPhone(jid)
	}
	return t, nil
}
