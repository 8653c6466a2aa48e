package registry

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged is wrapped by the error of Open and Check when the database
// file is not a usable registry: empty, truncated, not a bbolt file, or
// with pages that contradict each other.
var ErrDamaged = errors.New("registry is damaged")

// ErrInUse is wrapped by the error of Open and Check when another process
// holds the database file (bbolt locks it for its one writer).
var ErrInUse = errors.New("registry is in use by another process")

// lockTimeout is how long Open waits for another process to let go of the
// database file. A server that is still shutting down takes longer than
// this, but waiting for it would only hide that two were started.
const lockTimeout = time.Second

// fileError is what Open says about a database file it cannot use: one
// line naming the file and what to do, for the operator at start-up.
type fileError struct {
	path   string
	kind   error // ErrDamaged or ErrInUse
	detail string
}

func (e *fileError) Error() string {
	if e.kind == ErrInUse {
		return fmt.Sprintf("registry %s is in use by another process (is higate already running?)", e.path)
	}
	return fmt.Sprintf("registry %s is damaged (%s): restore it from a backup, or move it away to start with an empty registry",
		e.path, e.detail)
}

func (e *fileError) Unwrap() error { return e.kind }

func damaged(path, format string, args ...any) error {
	// One line, whatever bbolt's message holds.
	detail := strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " ")
	return &fileError{path: path, kind: ErrDamaged, detail: detail}
}

// openDB opens the bbolt file at path, or refuses it with a fileError.
//
// Only a missing file is a new registry. bbolt treats a zero-length file as
// new too, which would start an empty registry in place of one that was
// lost (every account silently gone), so that is refused. An existing file
// is first opened read-only to compare its size with the pages its meta
// page claims: bbolt memory-maps the file and reads pages without bounds
// checks, so a truncated file would fault the process when the read-write
// open loads the freelist. Then the file is opened for writing, and
// quickCheck reads the pages start-up depends on. Every step runs under
// guard, which turns bbolt's panics on corrupt pages (and faults on pages
// outside the file) into ErrDamaged.
//
// This does not read every page: on the benchmark's 1M-registration
// registry a full check takes about half a second and maps the whole file
// into the process (see docs/BENCHMARKS.md), so it is left to Check
// (higate check).
func openDB(path string, readOnly bool) (*bolt.DB, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if readOnly {
			return nil, fmt.Errorf("open registry: no registry at %s", path)
		}
	case err != nil:
		return nil, fmt.Errorf("open registry: %w", err)
	case info.Size() == 0:
		return nil, damaged(path, "the file is empty")
	default:
		ro, err := openBolt(path, true)
		if err != nil {
			return nil, err
		}
		if err := guard(path, func() error { return checkSize(ro, path) }); err != nil {
			ro.Close()
			return nil, err
		}
		if readOnly {
			return ro, nil
		}
		if err := ro.Close(); err != nil {
			return nil, fmt.Errorf("open registry: %w", err)
		}
	}
	db, err := openBolt(path, false)
	if err != nil {
		return nil, err
	}
	if err := guard(path, func() error { return quickCheck(db) }); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openBolt is bolt.Open with its failures said in fileError terms.
func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	var file *os.File
	opts := &bolt.Options{Timeout: lockTimeout, ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		}}
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	if err == nil {
		return db, nil
	}
	if file != nil {
		// After a panic inside bolt.Open the file is still open and
		// locked; after an error bbolt closed it already (and this is a
		// no-op).
		file.Close()
	}
	var fe *fileError
	var pathErr *os.PathError
	var errno syscall.Errno
	switch {
	case errors.As(err, &fe):
		return nil, err
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &fileError{path: path, kind: ErrInUse}
	case errors.As(err, &pathErr), errors.As(err, &errno):
		return nil, fmt.Errorf("open registry: %w", err) // permissions, no memory: not the file's fault
	}
	// bbolt's own findings: invalid meta pages, checksum or version
	// mismatch, a file too small to hold the meta pages.
	return nil, damaged(path, "%v", err)
}

// checkSize refuses a file that is shorter than the pages its meta page
// counts (a copy cut short, a full disk while restoring a backup).
func checkSize(db *bolt.DB, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open registry: %w", err)
	}
	return db.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); need > info.Size() {
			return damaged(path, "truncated: %d bytes where its pages take %d", info.Size(), need)
		}
		return nil
	})
}

// quickCheck reads what every start reads anyway, a little earlier and
// under guard: the root bucket, and the first and last key of every
// bucket (the pages from each bucket's root down to both ends). bbolt has
// already checked the meta pages' checksums and read the freelist.
func quickCheck(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			c := b.Cursor()
			c.First()
			c.Last()
			return nil
		})
	})
}

// guard runs fn with faults on memory-mapped pages turned into panics
// (debug.SetPanicOnFault applies to this goroutine only), and turns a
// panic, bbolt's on a corrupt page or such a fault, into ErrDamaged.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			var fault interface{ Addr() uintptr }
			if e, ok := p.(runtime.Error); ok && errors.As(e, &fault) {
				err = damaged(path, "a page points outside the file")
				return
			}
			err = damaged(path, "corrupt page: %v", p)
		}
	}()
	return fn()
}

// CheckReport is what Check found in a sound registry.
type CheckReport struct {
	Size    int64 // bytes of the database file in use
	Records int   // keys in all buckets
}

// Check reads every page of the registry in dir and runs bbolt's
// consistency check (every page reachable or free, none twice), which Open
// does not do at start-up for its cost. It opens the file read-only and
// needs the server stopped, as bbolt lets one process hold the file. A
// problem is reported as ErrDamaged; a missing file is an error too.
func Check(dir string) (CheckReport, error) {
	path := dbPath(dir)
	db, err := openDB(path, true)
	if err != nil {
		return CheckReport{}, err
	}
	defer db.Close()
	var rep CheckReport
	err = guard(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			rep.Size = tx.Size()
			// Walking every key first reads every branch and leaf page
			// here, under guard; bbolt's Check runs in a goroutine of its
			// own, where a page pointing outside the file would fault the
			// process instead of panicking.
			if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
				rep.Records += countKeys(b)
				return nil
			}); err != nil {
				return err
			}
			var problems []error
			for err := range tx.Check() {
				problems = append(problems, err)
			}
			switch len(problems) {
			case 0:
				return nil
			case 1:
				return damaged(path, "%v", problems[0])
			}
			return damaged(path, "%v, and %d more problems", problems[0], len(problems)-1)
		})
	})
	return rep, err
}

// countKeys counts the keys of b and of the buckets nested in it.
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n++
		if v == nil {
			if child := b.Bucket(k); child != nil {
				n += countKeys(child)
			}
		}
	}
	return n
}
