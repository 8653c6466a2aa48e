package wameow

import (
	"context"
	"slices"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
)

// groupCacheTTL is how long a group list is reused. Group jobs and group
// messages both need it, and WhatsApp rate-limits the listing query.
const groupCacheTTL = time.Minute

// groupCache holds the last group list. Its mutex is held during a refresh,
// so concurrent callers share one query instead of each sending their own.
type groupCache struct {
	mu   sync.Mutex
	list []gateway.Group
	at   time.Time
}

// Groups lists the groups the number is in, at most a minute old. ID is the
// group JID, Admin the creator's E.164 (resolved when WhatsApp gives a LID).
func (t *Transport) Groups(ctx context.Context) ([]gateway.Group, error) {
	t.groups.mu.Lock()
	defer t.groups.mu.Unlock()
	if !t.groups.at.IsZero() && t.opts.Now().Sub(t.groups.at) < groupCacheTTL {
		return cloneGroups(t.groups.list), nil
	}
	if !t.ready() {
		return nil, gateway.ErrNotConnected
	}
	infos, err := t.client.GetJoinedGroups(ctx)
	if err != nil {
		return nil, classify("list groups", err)
	}
	list := make([]gateway.Group, 0, len(infos))
	for _, info := range infos {
		if info == nil {
			continue
		}
		list = append(list, t.groupOf(ctx, info))
	}
	t.groups.list, t.groups.at = list, t.opts.Now()
	return cloneGroups(list), nil
}

// groupByID finds a group for an inbound message. When the list cannot be
// refreshed the stale one still names most groups.
func (t *Transport) groupByID(ctx context.Context, id string) (gateway.Group, bool) {
	list, err := t.Groups(ctx)
	if err != nil {
		t.log.Debug("list groups for inbound message", "err", err)
		t.groups.mu.Lock()
		list = cloneGroups(t.groups.list)
		t.groups.mu.Unlock()
	}
	for _, g := range list {
		if g.ID == id {
			return g, true
		}
	}
	return gateway.Group{}, false
}

func (t *Transport) groupOf(ctx context.Context, info *types.GroupInfo) gateway.Group {
	g := gateway.Group{ID: info.JID.ToNonAD().String(), Name: info.Name}
	if info.OwnerPN.Server == types.DefaultUserServer && info.OwnerPN.User != "" {
		g.Admin = "+" + info.OwnerPN.User
	} else {
		g.Admin = t.phoneOf(ctx, info.OwnerJID, info.OwnerPN)
	}
	for _, p := range info.Participants {
		n := t.phoneOf(ctx, p.JID, p.PhoneNumber)
		if n == "" && !p.LID.IsEmpty() {
			n = t.phoneOf(ctx, p.LID, p.PhoneNumber)
		}
		if n == "" && p.PhoneNumber.Server == types.DefaultUserServer {
			n = "+" + p.PhoneNumber.User
		}
		if n != "" {
			g.Members = append(g.Members, n)
		}
	}
	return g
}

func cloneGroups(list []gateway.Group) []gateway.Group {
	out := slices.Clone(list)
	for i := range out {
		out[i].Members = slices.Clone(out[i].Members)
	}
	return out
}
