package sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// Compaction: every send, read, ack, fault and profile change adds a
// journal record, while the state they build up stays bounded (inboxes
// and remembered message IDs are capped). So Open, once it has replayed a
// journal that holds more than compactRatio times the records the state
// needs, and more than compactMin, rewrites it as exactly those records.
const (
	compactMin   = 10_000 // records; a journal this short replays in moments
	compactRatio = 2
	snapshotIDs  = 1000 // message IDs per sent record of a compacted journal
)

// tempSuffix names the file a compaction writes before it renames it over
// the journal. One left behind was cut short by a crash before the rename,
// so the journal beside it is whole, and Open removes it.
const tempSuffix = ".tmp"

// compact rewrites the journal at path from the state just replayed from
// it, if it has grown far enough past that state. A failure leaves the
// journal as it was, or already replaced by one that holds the same state,
// so it is logged and Open goes on.
func (n *Network) compact(path string, replayed int) {
	if replayed <= compactMin {
		return
	}
	live := 0
	_ = n.snapshot(func(*record) error { live++; return nil })
	if replayed <= compactRatio*live {
		return
	}
	if err := writeSnapshot(path, n.snapshot); err != nil {
		n.log.Error("journal compaction failed", "err", err)
		return
	}
	n.log.Info("journal compacted", "records", replayed, "kept", live)
}

// removeLeftover deletes what a compaction cut short by a crash left.
func (n *Network) removeLeftover(path string) {
	err := os.Remove(path + tempSuffix)
	switch {
	case err == nil:
		n.log.Warn("removed the leftover of an interrupted journal compaction")
	case !errors.Is(err, fs.ErrNotExist):
		n.log.Error("remove leftover of journal compaction", "err", err)
	}
}

// writeSnapshot replaces the journal at path with the records snapshot
// emits, so that a crash at any point leaves a whole journal at path, the
// old one or the new one: the records go to a temporary file in the same
// directory, which is synced, renamed over the journal (atomic), and the
// directory synced so the rename itself is durable.
func writeSnapshot(path string, snapshot func(emit func(*record) error) error) error {
	tmp := path + tempSuffix
	if err := writeRecords(tmp, snapshot); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sim: replace journal: %w", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("sim: sync data directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sim: sync data directory: %w", err)
	}
	return nil
}

// writeRecords writes what snapshot emits to a new file at name and syncs
// it.
func writeRecords(name string, snapshot func(emit func(*record) error) error) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("sim: create compacted journal: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // as encode does
	if err := snapshot(func(r *record) error { return enc.Encode(r) }); err != nil {
		return fmt.Errorf("sim: write compacted journal: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("sim: write compacted journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sim: sync compacted journal: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sim: close compacted journal: %w", err)
	}
	return nil
}

// snapshot emits the fewest records whose replay rebuilds the network as it
// is, and returns the first error emit returns. It runs inside Open, after
// replay and before anyone else can see the network, so it takes no locks
// of its own. Users and numbers go out sorted, so the same state always
// gives the same journal.
func (n *Network) snapshot(emit func(*record) error) error {
	var err error
	put := func(r *record) {
		if err == nil {
			err = emit(r)
		}
	}
	numbers := slices.Sorted(maps.Keys(n.numbers))
	for _, number := range numbers {
		put(&record{Op: opAttach, N: number})
	}
	users := make(map[string]*user)
	n.users.Range(func(k, v any) bool {
		users[k.(string)] = v.(*user)
		return true
	})
	names := slices.Sorted(maps.Keys(users))
	for _, name := range names {
		if users[name].off.Load() {
			put(&record{Op: opUser, N: name, Off: true})
		}
	}
	for _, g := range n.order {
		put(&record{Op: opGroup, Group: &groupRecord{ID: g.id, Name: g.name, Admin: g.admin, Members: g.members}})
	}
	for _, name := range names {
		u := users[name]
		unread := u.unreadFlags()
		for i, m := range u.messages() {
			put(&record{Op: opInbox, N: name, Msg: &m, Unread: unread[i]})
		}
	}
	for _, number := range numbers {
		n.numbers[number].snapshot(put)
	}
	return err
}

// snapshot emits the records of what belongs to the number itself.
func (num *Number) snapshot(put func(*record)) {
	gw := num.number
	for ids := range slices.Chunk(num.sent.list(), snapshotIDs) {
		put(&record{Op: opSent, GW: gw, IDs: ids})
	}
	if num.profile.About != "" || num.profile.Image != nil {
		put(&record{Op: opProfile, GW: gw, About: num.profile.About, Image: num.profile.Image})
	}
	if num.fault.kind != "" { // only bans are journaled, so only they are replayed
		put(&record{Op: opFault, GW: gw, Kind: num.fault.kind, Until: num.fault.until})
	}
	if num.acked > 0 {
		put(&record{Op: opAck, GW: gw, Seq: num.acked})
	}
	for _, p := range num.backlog.items[num.backlog.head:] {
		ev := p.ev
		if p.inbound {
			put(&record{Op: opInbound, GW: gw, Seq: p.seq, In: inboundRecordOf(ev)})
		} else {
			put(&record{Op: opReceipt, GW: gw, Seq: p.seq, Kind: ev.Receipt, IDs: ev.MessageIDs, At: ev.At})
		}
	}
}
