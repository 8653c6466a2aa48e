package registry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"higate/quota"
	"higate/registry"
)

// TestNoSecondActiveNumber: an active number added beside a working one
// would take the instance over and strand every registered user, so it is
// a 409 whose remedy is the safe way; on an instance without an active
// number it is how the first one comes in.
func TestNoSecondActiveNumber(t *testing.T) {
	f := newFixture(t)
	_, err := f.store.AddNumber(registry.Number{Number: "+15550000002", Transport: "sim", Role: registry.RoleActive})
	var e *registry.Error
	if registry.ErrorCode(err) != registry.CodeConflict || !errorAs(err, &e) || !strings.Contains(e.Remedy, "add it as standby, then rotate") {
		t.Fatalf("second active: %v", err)
	}
	if n, _ := f.store.ActiveNumber(0); n.Number != gw {
		t.Fatalf("active is %s", n.Number)
	}
	if _, err := f.store.Number("+15550000002"); err == nil {
		t.Fatal("the refused number was stored")
	}

	// The active number is banned: still a 409, and the remedy says a
	// standby takes over by itself.
	if _, _, err := f.store.SetState(gw, registry.StateBanned, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.store.AddNumber(registry.Number{Number: "+15550000002", Transport: "sim", Role: registry.RoleActive})
	if registry.ErrorCode(err) != registry.CodeConflict || !errorAs(err, &e) || !strings.Contains(e.Remedy, "takes over by itself") {
		t.Fatalf("active beside a banned one: %v", err)
	}

	in, err := f.store.CreateInstance("empty", false)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.AddNumber(registry.Number{Number: "+15550000003", Instance: in.ID, Transport: "sim", Role: registry.RoleActive}); err != nil || n.Role != registry.RoleActive {
		t.Fatalf("first active number: %v %+v", err, n)
	}
}

// TestTakeOver: a connected standby takes over an instance whose active
// number is banned, once; a second standby then finds a usable active
// number and stays standby; nothing happens while the active number works.
func TestTakeOver(t *testing.T) {
	f := newFixture(t)
	for _, num := range []string{"+15550000002", "+15550000003"} {
		if _, err := f.store.AddNumber(registry.Number{Number: num, Transport: "sim", Role: registry.RoleStandby, State: registry.StateStandby}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok, err := f.store.TakeOver("+15550000002"); err != nil || ok {
		t.Fatalf("took over a working number: %v %v", ok, err)
	}
	if _, _, err := f.store.SetState(gw, registry.StateBanned, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Not connected: no takeover.
	if _, _, err := f.store.SetState("+15550000003", registry.StateDisconnected, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := f.store.TakeOver("+15550000003"); ok {
		t.Fatal("a disconnected standby took over")
	}
	n, replaced, ok, err := f.store.TakeOver("+15550000002")
	if err != nil || !ok || n.Role != registry.RoleActive || n.State != registry.StateActive || replaced.Number != gw || replaced.State != registry.StateBanned {
		t.Fatalf("take over: %v %v %+v replaced %+v", err, ok, n, replaced)
	}
	if old, _ := f.store.Number(gw); old.Role != registry.RoleRetired {
		t.Fatalf("old number %+v", old)
	}
	if _, _, err := f.store.SetState("+15550000003", registry.StateStandby, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := f.store.TakeOver("+15550000003"); ok {
		t.Fatal("a second standby took over too")
	}
	if a, _ := f.store.ActiveNumber(0); a.Number != "+15550000002" {
		t.Fatalf("active %s", a.Number)
	}
}

// TestUpdatePacingKeepsOtherFields: a change of one field leaves the rest.
func TestUpdatePacingKeepsOtherFields(t *testing.T) {
	f := newFixture(t)
	if err := f.store.SetPacing(gw, registry.Pacing{Gap: 2 * time.Second, Jitter: time.Second, DailyCap: 1000}); err != nil {
		t.Fatal(err)
	}
	p, err := f.store.UpdatePacing(gw, func(p *registry.Pacing) error { p.DailyCap = 500; return nil })
	if err != nil || p != (registry.Pacing{Gap: 2 * time.Second, Jitter: time.Second, DailyCap: 500}) {
		t.Fatalf("%v %+v", err, p)
	}
	if n, _ := f.store.Number(gw); n.Pacing != p {
		t.Fatalf("stored %+v", n.Pacing)
	}
	if _, err := f.store.UpdatePacing("+15559999999", func(*registry.Pacing) error { return nil }); err != registry.ErrNotFound {
		t.Fatalf("unknown number: %v", err)
	}
}

// TestChangePlanMovesTheAccount: an upgrade to Enterprise gets a dedicated
// instance of its own; a downgrade leaves it for a shared one, which must
// be shared; an Enterprise account on a shared instance is refused what
// needs a dedicated one.
func TestChangePlanMovesTheAccount(t *testing.T) {
	f := newFixture(t)
	id := f.account(quota.Limits{})
	a, _ := f.store.Account(id)
	if err := f.store.CheckDedicated(a, "webhooks"); registry.ErrorCode(err) != registry.CodeNotInPlan {
		t.Fatalf("trial: %v", err)
	}

	up, mv, err := f.store.ChangePlan(id, registry.PlanChange{Plan: quota.Enterprise})
	if err != nil || !mv.Created || !mv.Moved() || mv.From != 0 || up.Instance != mv.To || up.Plan != quota.Enterprise {
		t.Fatalf("upgrade: %v %+v %+v", err, mv, up)
	}
	in, _ := f.store.Instance(up.Instance)
	if !in.Dedicated || in.Owner != id {
		t.Fatalf("dedicated instance %+v", in)
	}
	if err := f.store.CheckDedicated(up, "webhooks"); err != nil {
		t.Fatalf("enterprise on its own instance: %v", err)
	}
	// The same plan again: nothing moves.
	if again, mv, err := f.store.ChangePlan(id, registry.PlanChange{Plan: quota.Enterprise}); err != nil || mv.Moved() || again.Instance != up.Instance {
		t.Fatalf("again: %v %+v", err, mv)
	}
	if _, err := f.store.UpdateAccount(id, func(a *registry.Account) error {
		a.Webhook = registry.Webhook{URL: "https://example.com/hook", Secret: "s", Active: true}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A downgrade to a dedicated "shared" instance is refused, and changes nothing.
	zero := uint64(0)
	if _, _, err := f.store.ChangePlan(id, registry.PlanChange{Plan: quota.ForeverGreen, Shared: &up.Instance}); registry.ErrorCode(err) != registry.CodeConflict {
		t.Fatalf("downgrade to a dedicated instance: %v", err)
	}
	if a, _ := f.store.Account(id); a.Plan != quota.Enterprise {
		t.Fatalf("refused downgrade changed the plan: %+v", a)
	}
	down, mv, err := f.store.ChangePlan(id, registry.PlanChange{Plan: quota.ForeverGreen, Shared: &zero})
	if err != nil || mv.From != up.Instance || mv.To != 0 || mv.Created || down.Instance != 0 || down.Webhook.URL != "" || down.Webhook.Active {
		t.Fatalf("downgrade: %v %+v %+v", err, mv, down)
	}
	if in, _ := f.store.Instance(up.Instance); in.Owner != "" {
		t.Fatalf("old dedicated instance still owned: %+v", in)
	}

	// An Enterprise account the operator put on a shared instance may not
	// configure it; setting enterprise gives it its own.
	c, err := f.store.CreateAccount(registry.NewAccount{Email: "load@example.com", Plan: quota.Enterprise, Instance: 0})
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := f.store.Account(c.ClientID)
	if err := f.store.CheckDedicated(shared, "a custom profile"); registry.ErrorCode(err) != registry.CodeNotInPlan {
		t.Fatalf("enterprise on a shared instance: %v", err)
	}
	if got, mv, err := f.store.ChangePlan(c.ClientID, registry.PlanChange{Plan: quota.Enterprise}); err != nil || !mv.Created || f.store.CheckDedicated(got, "a custom profile") != nil {
		t.Fatalf("enterprise again: %v %+v", err, mv)
	}
}

// TestDowngradeToTheLowestSharedInstance: with no shared instance named,
// a downgrade goes to the lowest-numbered shared one, and with none at all
// it is a 409 that says what to do.
func TestDowngradeToTheLowestSharedInstance(t *testing.T) {
	s, _ := openBillingStore(t) // instance 0 is shared
	ded, err := s.CreateInstance("dedicated", true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateAccount(registry.NewAccount{Email: "e@example.com", Plan: quota.Enterprise, Instance: ded.ID})
	if err != nil {
		t.Fatal(err)
	}
	if a, mv, err := s.ChangePlan(c.ClientID, registry.PlanChange{Plan: quota.Trial}); err != nil || mv.To != 0 || a.Instance != 0 {
		t.Fatalf("downgrade: %v %+v", err, mv)
	}

	// A registry whose only instance is dedicated has nowhere to go.
	s2, _ := openBillingStore(t)
	if _, err := s2.UpdateInstance(0, func(in *registry.Instance) error { in.Dedicated = true; return nil }); err != nil {
		t.Fatal(err)
	}
	c2, err := s2.CreateAccount(registry.NewAccount{Email: "e@example.com", Plan: quota.Enterprise, Instance: 0})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s2.ChangePlan(c2.ClientID, registry.PlanChange{Plan: quota.Trial})
	var e *registry.Error
	if registry.ErrorCode(err) != registry.CodeConflict || !errorAs(err, &e) || !strings.Contains(e.Remedy, "POST /admin/api/instances") {
		t.Fatalf("no shared instance: %v", err)
	}
}

// TestConvertTrialChangesThePlanLikeTheOperator: PayPal's Trial-to-Forever
// Green conversion goes through the same plan change, so a Trial account
// that sat on a dedicated instance leaves it for the shared one given.
func TestConvertTrialChangesThePlanLikeTheOperator(t *testing.T) {
	s, clk := openBillingStore(t)
	ded, err := s.CreateInstance("dedicated", true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateAccount(registry.NewAccount{Email: "t@example.com", Plan: quota.Trial, Instance: ded.ID})
	if err != nil {
		t.Fatal(err)
	}
	zero := uint64(0)
	a, converted, err := s.ConvertTrial(c.ClientID, registry.Period{PaidThrough: clk.Now().AddDate(0, 1, 0), Grace: grace}, &zero)
	if err != nil || !converted || a.Plan != quota.ForeverGreen || a.Instance != 0 {
		t.Fatalf("convert: %v %v %+v", err, converted, a)
	}
	if in, _ := s.Instance(ded.ID); in.Owner != "" {
		t.Fatalf("dedicated instance still owned: %+v", in)
	}
}

func errorAs(err error, target **registry.Error) bool { return errors.As(err, target) }
