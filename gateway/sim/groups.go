package sim

import (
	"errors"
	"fmt"
	"slices"

	"higate/gateway"
)

// group is a WhatsApp group; it is guarded by Network.mu.
type group struct {
	id, name, admin string
	members         []string
}

func (g *group) public() gateway.Group {
	return gateway.Group{ID: g.id, Name: g.name, Admin: g.admin, Members: slices.Clone(g.members)}
}

// CreateGroup creates a group named name, created by admin, with admin, the
// members and (unless it is "") the gateway number gw as members. Everyone
// named is on WhatsApp from then on. A second call with the same name and
// admin returns the existing group with any new members added, because the
// public API tells groups apart by exactly that pair, and so a demo can
// create its groups at every start.
func (n *Network) CreateGroup(name, admin string, members []string, gw string) (gateway.Group, error) {
	if name == "" {
		return gateway.Group{}, errors.New("sim: a group needs a name")
	}
	all := append([]string{admin}, members...)
	if gw != "" {
		all = append(all, gw)
	}
	for _, m := range all {
		if err := checkE164("group member", m); err != nil {
			return gateway.Group{}, err
		}
	}
	for _, m := range all {
		if err := n.setOn(m, true); err != nil {
			return gateway.Group{}, err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var g *group
	for _, c := range n.order {
		if c.name == name && c.admin == admin {
			g = c
			break
		}
	}
	if g == nil {
		id := newGroupID()
		for n.groups[id] != nil {
			id = newGroupID()
		}
		rec := &groupRecord{ID: id, Name: name, Admin: admin, Members: dedupe(all)}
		if err := n.j.append(&record{Op: opGroup, Group: rec}); err != nil {
			return gateway.Group{}, err
		}
		g = n.addGroup(rec)
		return g.public(), nil
	}
	for _, m := range all {
		if err := n.joinLocked(g, m); err != nil {
			return gateway.Group{}, err
		}
	}
	return g.public(), nil
}

// AddToGroup adds number to the group, for instance a standby gateway number
// that must be able to take over the group's messages.
func (n *Network) AddToGroup(groupID, number string) error {
	if err := checkE164("number", number); err != nil {
		return err
	}
	if err := n.setOn(number, true); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	g := n.groups[groupID]
	if g == nil {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	return n.joinLocked(g, number)
}

func (n *Network) joinLocked(g *group, number string) error {
	if slices.Contains(g.members, number) {
		return nil
	}
	if err := n.j.append(&record{Op: opJoin, GroupID: g.id, N: number}); err != nil {
		return err
	}
	g.members = append(g.members, number)
	return nil
}

func (n *Network) addGroup(rec *groupRecord) *group {
	g := &group{id: rec.ID, name: rec.Name, admin: rec.Admin, members: rec.Members}
	n.groups[g.id] = g
	n.order = append(n.order, g)
	return g
}

// groupsOf lists the groups number is a member of, oldest first.
func (n *Network) groupsOf(number string) []gateway.Group {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []gateway.Group
	for _, g := range n.order {
		if slices.Contains(g.members, number) {
			out = append(out, g.public())
		}
	}
	return out
}

// Groups lists every group on the network, oldest first.
func (n *Network) Groups() []gateway.Group {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]gateway.Group, 0, len(n.order))
	for _, g := range n.order {
		out = append(out, g.public())
	}
	return out
}

// dedupe returns s without repeats, keeping first occurrences in order.
func dedupe(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
