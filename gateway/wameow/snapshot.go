package wameow

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SnapshotStores copies every number's device store under dataDir into
// destDir with SQLite's VACUUM INTO: a consistent copy taken through a
// reader of its own, while the numbers stay connected (the stores run in
// WAL mode, so the copy neither blocks nor is blocked by their writes). A
// copy of the files with cp could catch a half-written page or miss the
// WAL. It returns the names of the copies, relative to destDir.
func SnapshotStores(ctx context.Context, dataDir, destDir string) ([]string, error) {
	srcs, err := filepath.Glob(filepath.Join(dataDir, "whatsmeow", "*.db"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, src := range srcs {
		name := filepath.Base(src)
		dst := filepath.Join(destDir, name)
		if strings.ContainsAny(src, "?#%") || strings.Contains(dst, "'") {
			return nil, fmt.Errorf("wameow: snapshot %s: path must not contain ?, #, %% or '", src)
		}
		if err := vacuumInto(ctx, src, dst); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

func vacuumInto(ctx context.Context, src, dst string) error {
	db, err := sql.Open("sqlite", storeDSN(src))
	if err != nil {
		return fmt.Errorf("wameow: snapshot %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("wameow: snapshot %s: %w", src, err)
	}
	return os.Chmod(dst, 0o600)
}
