package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"higate/gateway/backup"
	"higate/registry"
)

// backupCmd downloads a backup from the running gateway (GET
// /admin/api/backup) into a file. It writes to a temporary file beside the
// target and renames it only once the archive is whole, so a cut download
// never looks like a backup.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := adminFlags(fs, getenv)
	out := fs.String("out", "", "the file to write, e.g. higate-backup.tar.gz")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("give --out FILE")
	}
	if err := c.ready(stderr); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.base, "/")+"/admin/api/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := (&http.Client{}).Do(req) // no timeout: a large registry takes a while
	if err != nil {
		return fmt.Errorf("is the gateway running? %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("backup: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	n, err := writeAtomically(*out, resp.Body)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes); restore it with: higate restore --from %s --data DIR\n", *out, n, *out)
	return nil
}

// writeAtomically copies r into path through a temporary file, fsynced and
// renamed into place.
func writeAtomically(path string, r io.Reader) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return n, err
}

// restoreCmd restores a backup into the data directory of a stopped gateway.
func restoreCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the backup file (from higate backup or --backup-dir)")
	data := fs.String("data", "", "the data directory to restore into")
	force := fs.Bool("force", false, "replace a registry already there (it is moved aside, not deleted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *data == "" {
		return errors.New("give --from FILE and --data DIR")
	}
	f, err := os.Open(*from)
	if err != nil {
		return err
	}
	defer f.Close()
	m, report, err := backup.Restore(f, *data, backup.RestoreOptions{Force: *force})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored the backup of %s (higate %s) into %s: registry checked, %d records in %d bytes; %d device stores, %d media files, %d inbound media files\n",
		m.CreatedAt.Format(time.RFC3339), m.Version, *data, report.Records, report.Size, len(m.Devices), m.Media, m.InboundMedia)
	return nil
}

// backupSchedule writes a backup into dir every interval while the
// gateway runs, keeping the newest keep files. A failed backup is logged
// and tried again at the next tick.
type backupSchedule struct {
	Dir   string
	Every time.Duration
	Keep  int
}

func (b backupSchedule) run(ctx context.Context, store *registry.Store, dataDir string, log *slog.Logger) {
	log = log.With("component", "backup")
	t := time.NewTicker(b.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.once(ctx, store, dataDir); err != nil {
				log.Error("scheduled backup failed", "dir", b.Dir, "err", err)
			}
		}
	}
}

const backupPrefix = "higate-backup-"

func (b backupSchedule) once(ctx context.Context, store *registry.Store, dataDir string) error {
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return err
	}
	name := filepath.Join(b.Dir, backupPrefix+store.Now().UTC().Format("20060102T150405Z")+".tar.gz")
	pr, pw := io.Pipe()
	go func() {
		_, err := backup.Write(ctx, pw, store, dataDir, version)
		pw.CloseWithError(err)
	}()
	if _, err := writeAtomically(name, pr); err != nil {
		pr.CloseWithError(err)
		return err
	}
	return b.prune()
}

// prune deletes all but the newest Keep backups (names sort by time).
func (b backupSchedule) prune() error {
	files, err := filepath.Glob(filepath.Join(b.Dir, backupPrefix+"*.tar.gz"))
	if err != nil {
		return err
	}
	slices.Sort(files)
	for len(files) > b.Keep {
		if err := os.Remove(files[0]); err != nil {
			return err
		}
		files = files[1:]
	}
	return nil
}
