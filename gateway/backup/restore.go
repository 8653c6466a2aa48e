package backup

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"higate/registry"
)

// RestoreOptions tune Restore. The zero value refuses to overwrite.
type RestoreOptions struct {
	// Force replaces the registry, device stores and inbound media already
	// in the data directory (they are moved aside to <dir>/.replaced-<time>,
	// not deleted).
	Force bool
}

// Restore unpacks the archive r into the data directory dir of a stopped
// gateway. It extracts into a temporary directory beside the target,
// checks the registry page by page (registry.Check) and the manifest
// against what arrived, and only then moves the files into place, so a
// damaged or partial archive leaves dir as it was.
func Restore(r io.Reader, dir string, opts RestoreOptions) (Manifest, registry.CheckReport, error) {
	var m Manifest
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m, registry.CheckReport{}, fmt.Errorf("restore: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "higate.db")); err == nil && !opts.Force {
		return m, registry.CheckReport{}, fmt.Errorf("restore: %w (%s): move it away, or restore with --force", ErrExists, dir)
	}
	tmp, err := os.MkdirTemp(dir, ".restore-*")
	if err != nil {
		return m, registry.CheckReport{}, fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)

	m, err = extract(r, tmp)
	if err != nil {
		return m, registry.CheckReport{}, err
	}
	report, err := registry.Check(tmp)
	if err != nil {
		return m, report, fmt.Errorf("restore: the archive's registry fails its check: %w", err)
	}
	if err := moveInto(tmp, dir, opts.Force, m); err != nil {
		return m, report, err
	}
	return m, report, nil
}

// entryName is what an archive may contain; anything else (a path outside
// the directory, a link, a device) is refused. It is matched against the
// name as the archive gives it, not a cleaned one, so "inbound/../higate.db"
// is refused rather than taken for the registry. Inbound media are named by
// their record ID, as strconv.FormatUint writes it.
var entryName = regexp.MustCompile(`^(MANIFEST\.json|higate\.db|whatsmeow/[0-9]+\.db|media/[0-9a-f]{64}|inbound/[1-9][0-9]{0,19})$`)

func extract(r io.Reader, dst string) (Manifest, error) {
	var m Manifest
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("restore: not a Higate backup (gzip: %w)", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]bool{}
	media, inbound := 0, 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, fmt.Errorf("restore: the archive is damaged: %w", err)
		}
		name := h.Name
		if h.Typeflag != tar.TypeReg || !entryName.MatchString(name) || seen[name] {
			return m, fmt.Errorf("restore: unexpected entry %q in the archive", h.Name)
		}
		seen[name] = true
		if name == "MANIFEST.json" {
			data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return m, fmt.Errorf("restore: the archive is damaged: %w", err)
			}
			if err := json.Unmarshal(data, &m); err != nil || m.Format != format {
				return m, fmt.Errorf("restore: not a Higate backup of format %d (manifest: %s)", format, firstLine(data))
			}
			continue
		}
		switch {
		case strings.HasPrefix(name, "media/"):
			media++
		case strings.HasPrefix(name, "inbound/"):
			inbound++
		}
		if err := writeOut(dst, name, tr, h.Size); err != nil {
			return m, err
		}
	}
	switch {
	case m.Format == 0:
		return m, errors.New("restore: not a Higate backup (no MANIFEST.json)")
	case !seen["higate.db"]:
		return m, errors.New("restore: the archive has no registry (higate.db)")
	case media != m.Media:
		return m, fmt.Errorf("restore: the archive is incomplete: %d media files of %d", media, m.Media)
	case inbound != m.InboundMedia:
		return m, fmt.Errorf("restore: the archive is incomplete: %d inbound media files of %d", inbound, m.InboundMedia)
	}
	for _, d := range m.Devices {
		if !seen["whatsmeow/"+d] {
			return m, fmt.Errorf("restore: the archive is incomplete: device store %s is missing", d)
		}
	}
	return m, nil
}

// writeOut writes the archive's entry name, of size bytes, under dst.
func writeOut(dst, name string, r io.Reader, size int64) error {
	p := filepath.Join(dst, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if n, err := io.Copy(f, r); err != nil || n != size {
		f.Close()
		return fmt.Errorf("restore: the archive is damaged: %s: %d of %d bytes (%v)", name, n, size, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("restore: %w", err)
	}
	return f.Close()
}

// moveInto renames the extracted files into dir (same file system). It
// first checks that nothing stands in their way, so a restore refused for
// want of force leaves dir as it was; with force, what they replace is
// moved aside.
func moveInto(tmp, dir string, force bool, m Manifest) error {
	names := []string{"higate.db"}
	for _, d := range m.Devices {
		names = append(names, filepath.Join("whatsmeow", d))
	}
	if !force {
		for _, n := range append([]string{"inbound"}, names...) {
			if p := filepath.Join(dir, n); occupied(p) {
				return fmt.Errorf("restore: %s exists: restore with --force", p)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(tmp, "media"))
	for _, e := range entries {
		names = append(names, filepath.Join("media", e.Name()))
	}
	aside := filepath.Join(dir, ".replaced-"+m.CreatedAt.Format("20060102T150405Z"))
	for _, n := range names {
		target := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if _, err := os.Stat(target); err == nil {
			if strings.HasPrefix(n, "media") {
				continue // content-addressed: the same name is the same bytes
			}
			if err := moveAside(dir, aside, n); err != nil {
				return err
			}
		}
		if err := os.Rename(filepath.Join(tmp, n), target); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := moveInboundInto(tmp, dir, aside); err != nil {
		return err
	}
	for _, d := range []string{dir, filepath.Join(dir, "media"), filepath.Join(dir, "whatsmeow"), filepath.Join(dir, "inbound")} {
		if f, err := os.Open(d); err == nil {
			_ = f.Sync()
			f.Close()
		}
	}
	return nil
}

// moveInboundInto puts the archive's inbound media in place of
// dir/inbound. The directory is replaced as a whole, never merged: its
// files are named by record IDs, which mean something only beside the
// registry they came with, and a file left from another registry would
// answer for a restored record whose file is not in the archive.
func moveInboundInto(tmp, dir, aside string) error {
	target := filepath.Join(dir, "inbound")
	if occupied(target) { // only with force: moveInto checked
		if err := moveAside(dir, aside, "inbound"); err != nil {
			return err
		}
	} else if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	err := os.Rename(filepath.Join(tmp, "inbound"), target)
	if err != nil && !errors.Is(err, os.ErrNotExist) { // none in the archive
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// moveAside moves dir/name to aside/name.
func moveAside(dir, aside, name string) error {
	if err := os.MkdirAll(filepath.Dir(filepath.Join(aside, name)), 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// occupied reports whether p holds something a restore would replace: a
// file, or a directory with anything in it.
func occupied(p string) bool {
	entries, err := os.ReadDir(p)
	if err == nil {
		return len(entries) > 0
	}
	return !errors.Is(err, os.ErrNotExist)
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	if len(line) > 80 {
		line = line[:80]
	}
	return string(line)
}
