package web_test

import (
	"fmt"
	"strings"
	"testing"

	"higate/gateway/sim"
	"higate/registry"
)

// TestStandbyAddedAfterBanTakesOver: an instance's only number is banned
// with a job queued, so the instance is down. A standby added later takes
// over by itself once it connects, as one that was there before the ban
// would have: the failover is recorded, the old number retired, and the
// queued job waits for its recipient to greet the new number, then goes out
// from it.
func TestStandbyAddedAfterBanTakesOver(t *testing.T) {
	e := newEnv(t)
	const first, second = "+15550000300", "+15550000301"
	in := e.admin("POST", "/admin/api/instances", map[string]string{"name": "one number"})
	id := fmt.Sprint(in.body["id"])
	if r := e.admin("POST", "/admin/api/instances/"+id+"/numbers", map[string]string{"number": first, "transport": "sim", "role": "active"}); r.status != 200 {
		t.Fatalf("add number: %d %s", r.status, r.raw)
	}
	e.eventually("first number up", func() bool { return e.gw.InstanceUp(mustInstance(id)) })
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial", "instance": mustInstance(id)})
	e.register(user, first)

	// Hold the queue, queue a job, then ban the only number.
	e.admin("POST", "/sandbox/api/numbers/"+first+"/fault", map[string]any{"kind": "disconnect"})
	e.eventually("disconnected", func() bool { n, _ := e.store.Number(first); return n.State == registry.StateDisconnected })
	send := e.send(a, "/v3/whatsapp/single/text/message/"+id, map[string]any{"number": user, "message": "api: held"})
	if send.status != 200 {
		t.Fatalf("queue: %d %s", send.status, send.raw)
	}
	e.admin("POST", "/sandbox/api/numbers/"+first+"/fault", map[string]any{"kind": "ban"})
	e.eventually("instance down", func() bool {
		return strings.Contains(e.admin("GET", "/admin/api/events", nil).raw, `"instance_down"`)
	})
	if r := e.do("GET", "/v1/gateway/status?instance="+id, nil); r.str("status") != "down" {
		t.Fatalf("status %s", r.raw)
	}

	if r := e.admin("POST", "/admin/api/instances/"+id+"/numbers", map[string]string{"number": second, "transport": "sim", "role": "standby"}); r.status != 200 {
		t.Fatalf("add standby: %d %s", r.status, r.raw)
	}
	e.eventually("standby took over", func() bool {
		n, _ := e.store.Number(second)
		return n.Role == registry.RoleActive && n.State == registry.StateActive
	})
	if old, _ := e.store.Number(first); old.Role != registry.RoleRetired {
		t.Fatalf("old number %+v", old)
	}
	if r := e.do("GET", "/v1/gateway/status?instance="+id, nil); r.str("status") != "up" {
		t.Fatalf("status after the takeover %s", r.raw)
	}
	e.eventually("failover event", func() bool {
		evs := e.admin("GET", "/admin/api/events", nil).raw
		return strings.Contains(evs, `"failover"`) && strings.Contains(evs, "replaces "+first+" (banned)")
	})

	// Never cold: the job waits for the user to greet the new number.
	e.eventually("job waits for re-registration", func() bool {
		return e.job(a, send.str("id")).str("waiting") == registry.WaitReregister
	})
	for _, m := range e.net.Messages(user) {
		if m.From == second {
			t.Fatalf("sent cold from the new number: %+v", m)
		}
	}
	if r := e.send(a, "/v3/whatsapp/single/text/message/"+id, map[string]any{"number": user, "message": "api: new"}); r.status != 472 ||
		!strings.Contains(r.str("remedy"), "wa.me/"+second[1:]) {
		t.Fatalf("send before greeting the new number: %d %s", r.status, r.raw)
	}
	e.register(user, second)
	got := e.waitMessages(user, 1, func(m sim.Message) bool { return m.Text == "api: held" })
	if got[0].From != second {
		t.Fatalf("held job came from %s", got[0].From)
	}
}

// TestStandbyTakesOverAfterRestart: the instance went down while its
// standby was offline (here: the gateway restarts with the active number
// banned and a standby that was never promoted); when the standby connects,
// it takes over.
func TestStandbyTakesOverAfterRestart(t *testing.T) {
	e := newEnv(t)
	const standby = "+15550000002"
	// A standby that is disconnected when the active number is banned.
	if r := e.admin("POST", "/admin/api/instances/0/numbers", map[string]string{"number": standby, "transport": "sim", "role": "standby"}); r.status != 200 {
		t.Fatalf("add standby: %d %s", r.status, r.raw)
	}
	e.eventually("standby connected", func() bool { n, _ := e.store.Number(standby); return n.State == registry.StateStandby })
	e.admin("POST", "/sandbox/api/numbers/"+standby+"/fault", map[string]any{"kind": "disconnect"})
	e.eventually("standby disconnected", func() bool { n, _ := e.store.Number(standby); return n.State == registry.StateDisconnected })
	e.admin("POST", "/sandbox/api/numbers/"+sandboxGW+"/fault", map[string]any{"kind": "ban"})
	e.eventually("instance down", func() bool {
		return strings.Contains(e.admin("GET", "/admin/api/events", nil).raw, `"instance_down"`)
	})
	if n, _ := e.store.Number(standby); n.Role != registry.RoleStandby {
		t.Fatalf("a disconnected standby took over: %+v", n)
	}
	// The disconnect does not outlive a restart (the ban does): the standby
	// connects and takes over.
	e.restart()
	e.eventually("standby took over", func() bool {
		n, _ := e.store.Number(standby)
		return n.Role == registry.RoleActive && n.State == registry.StateActive
	})
	if old, _ := e.store.Number(sandboxGW); old.Role != registry.RoleRetired || old.State != registry.StateBanned {
		t.Fatalf("old number %+v", old)
	}
}
