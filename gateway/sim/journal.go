package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"higate/gateway"
)

// journalName is the file under the data directory that holds the network's
// state as an append-only list of JSON records, one a line.
const journalName = "sim-journal.jsonl"

// Journal operations. Each record says what changed; replaying them in
// order rebuilds the network.
const (
	opAttach  = "attach"  // N became a gateway number
	opUser    = "user"    // N is on or off WhatsApp
	opGroup   = "group"   // a group was created
	opJoin    = "join"    // N joined group GroupID
	opSend    = "send"    // GW delivered Msg (to Msg.To, or to every To of a group); Seq is its receipt
	opRead    = "read"    // user N read IDs from GW; Seq is the read receipt
	opInbound = "in"      // an inbound message for GW was queued while it was offline; Seq orders it
	opAck     = "ack"     // GW's handler has returned for every queued event up to Seq
	opFault   = "fault"   // GW's lasting fault is now Kind ("", "ban" or "temp_ban") until Until
	opProfile = "profile" // GW set its profile

	// Compaction (see compact.go) restates state in these, where the records
	// that built it up are gone.
	opInbox   = "inbox"   // user N's inbox holds Msg, unread if Unread
	opSent    = "sent"    // GW delivered messages with IDs, oldest first (duplicate detection)
	opReceipt = "receipt" // a Kind receipt for IDs, stamped At, waits for GW's handler; Seq orders it
)

// record is one journal line. It is a union: which fields are set depends
// on Op. Short JSON names keep the journal small, as it holds every message
// since the last compaction.
type record struct {
	Op      string         `json:"op"`
	N       string         `json:"n,omitempty"`
	GW      string         `json:"gw,omitempty"`
	Off     bool           `json:"off,omitempty"`
	Group   *groupRecord   `json:"g,omitempty"`
	GroupID string         `json:"gid,omitempty"`
	Msg     *Message       `json:"m,omitempty"`
	To      []string       `json:"to,omitempty"`
	Seq     uint64         `json:"q,omitempty"`
	IDs     []string       `json:"ids,omitempty"`
	In      *inboundRecord `json:"in,omitempty"`
	Kind    string         `json:"k,omitempty"`
	Until   time.Time      `json:"until,omitzero"`
	At      time.Time      `json:"at,omitzero"`
	About   string         `json:"about,omitempty"`
	Image   []byte         `json:"img,omitempty"`
	Unread  bool           `json:"unread,omitempty"`
}

type groupRecord struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Admin   string   `json:"admin"`
	Members []string `json:"members"`
}

type inboundRecord struct {
	ID         string    `json:"id"`
	From       string    `json:"from"`
	Text       string    `json:"text"`
	GroupID    string    `json:"gid,omitempty"`
	GroupName  string    `json:"gname,omitempty"`
	GroupAdmin string    `json:"gadmin,omitempty"`
	At         time.Time `json:"at"`
	// An attachment (InboundMedia), bytes and all: only messages to an
	// offline number are journaled, so this costs the journal little.
	Kind     gateway.MessageKind `json:"k,omitempty"`
	Mimetype string              `json:"mime,omitempty"`
	Filename string              `json:"file,omitempty"`
	Media    []byte              `json:"media,omitempty"`
}

// journal appends records to the journal file. Each record goes out in a
// single write(2) on an O_APPEND descriptor before the operation it records
// reports success: once the kernel has the bytes a kill -9 of the process
// cannot lose them, and a crash mid-write can only tear the last line, which
// replay truncates. fsync happens in the background (see Network.syncLoop)
// and on close, because waiting for the disk on every send would cap the
// simulated network far below the rates the gateway is benchmarked at.
type journal struct {
	f      *os.File
	mu     sync.RWMutex // write holds it shared, close exclusively, so no write meets a closed file
	closed bool
	dirty  atomic.Bool // written since the last fsync
}

// bufPool holds encode buffers, so a send does not allocate a fresh one.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encode marshals r into one newline-terminated line. It runs before any
// lock is taken where the caller can arrange it.
func encode(r *record) (*bytes.Buffer, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)              // keep texts and URLs readable in the file
	if err := enc.Encode(r); err != nil { // Encode adds the newline
		bufPool.Put(buf)
		return nil, fmt.Errorf("sim: encode %s record: %w", r.Op, err)
	}
	return buf, nil
}

// write appends one encoded line and recycles its buffer.
func (j *journal) write(buf *bytes.Buffer) error {
	defer bufPool.Put(buf)
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return ErrClosed
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("sim: write journal: %w", err)
	}
	j.dirty.Store(true)
	return nil
}

// append encodes and writes r.
func (j *journal) append(r *record) error {
	buf, err := encode(r)
	if err != nil {
		return err
	}
	return j.write(buf)
}

// sync flushes the journal to disk if anything was written since last time.
func (j *journal) sync() error {
	if !j.dirty.Swap(false) {
		return nil
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sim: sync journal: %w", err)
	}
	return nil
}

// close syncs and closes the file; writes after it fail with ErrClosed.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sim: close journal: %w", err)
	}
	return nil
}

// replayJournal replays the journal at path through apply, creating it if
// it does not exist, and returns how many records it holds. A last line
// without its newline, or that does not parse, is a write torn by a crash:
// it is cut off, since the operation it recorded never reported success. A
// bad line anywhere else is corruption and fails the open rather than
// silently losing state.
func replayJournal(path string, apply func(*record)) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("sim: open journal: %w", err)
	}
	defer f.Close()
	good, records, err := replay(f, apply)
	if err != nil {
		return 0, err
	}
	if st, err := f.Stat(); err == nil && st.Size() > good {
		if err := f.Truncate(good); err != nil {
			return 0, fmt.Errorf("sim: truncate torn journal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			return 0, fmt.Errorf("sim: sync journal: %w", err)
		}
	}
	return records, nil
}

// openJournal opens the journal at path for appending. O_APPEND makes every
// write land at the end in one call, whatever other writers are doing.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sim: open journal: %w", err)
	}
	return &journal{f: f}, nil
}

// replay applies every complete record of r and returns the length of the
// intact prefix and the number of records in it.
func replay(r io.Reader, apply func(*record)) (good int64, records int, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for ; ; records++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return good, records, nil // b, if any, is a torn tail
		}
		if err != nil {
			return 0, 0, fmt.Errorf("sim: read journal: %w", err)
		}
		var rec record
		if jerr := json.Unmarshal(b, &rec); jerr != nil {
			if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
				return good, records, nil // torn last line that happens to end in a newline byte
			}
			return 0, 0, fmt.Errorf("sim: journal line %d is corrupt: %w", records+1, jerr)
		}
		apply(&rec)
		good += int64(len(b))
	}
}
