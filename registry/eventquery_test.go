package registry_test

import (
	"fmt"
	"testing"

	"higate/registry"
)

// FindEvents pages newest first, filters, and bounds how far one call
// reads, continuing from where it stopped.
func TestFindEventsPagesNewestFirst(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 25; i++ {
		kind := "number_disconnected"
		if i%5 == 0 {
			kind = "number_banned"
		}
		if err := f.store.AddEvent(registry.Event{Kind: kind, Instance: uint64(i % 2), Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var details []string
	q := registry.EventQuery{Limit: 10}
	for range 10 {
		p, err := f.store.FindEvents(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			details = append(details, e.Detail)
		}
		if p.Next == 0 {
			break
		}
		q.Before = p.Next
	}
	if len(details) != 25 || details[0] != "25" || details[24] != "1" {
		t.Fatalf("all events: %v", details)
	}

	bans := func(e registry.Event) bool { return e.Kind == "number_banned" }
	p, err := f.store.FindEvents(registry.EventQuery{Limit: 10, Match: bans})
	if err != nil || len(p.Events) != 5 || p.Events[0].Detail != "25" || p.Next != 0 {
		t.Fatalf("bans: %+v, %v", p, err)
	}

	// Reading at most 7 events finds the bans among them, and says where to go on.
	p, err = f.store.FindEvents(registry.EventQuery{Limit: 10, Match: bans, MaxScan: 7})
	if err != nil || len(p.Events) != 2 || p.Scanned != 7 || p.Next != 19 {
		t.Fatalf("bounded scan: %d events, scanned %d, next %d, %v", len(p.Events), p.Scanned, p.Next, err)
	}
	p, _ = f.store.FindEvents(registry.EventQuery{Limit: 10, Match: bans, MaxScan: 7, Before: p.Next})
	if len(p.Events) != 1 || p.Events[0].Detail != "15" {
		t.Fatalf("continued scan: %+v", p.Events)
	}
}

// InstancesFrom pages through instances in ID order with their numbers.
func TestInstancesFromPages(t *testing.T) {
	f := newFixture(t)
	for i := range 4 {
		if _, err := f.store.CreateInstance(fmt.Sprint("shared ", i+1), false); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := f.store.InstancesFrom(0, 3)
	if err != nil || len(page) != 3 || page[0].ID != 0 || page[2].ID != 2 || next != 3 {
		t.Fatalf("first page: %d instances, next %d, %v", len(page), next, err)
	}
	if len(page[0].NumberViews) != 1 || page[0].Active != gw || page[0].NumberViews[0].Number != gw {
		t.Errorf("instance 0: %+v", page[0])
	}
	page, next, err = f.store.InstancesFrom(next, 3)
	if err != nil || len(page) != 2 || page[0].ID != 3 || page[1].ID != 4 || next != 0 {
		t.Fatalf("last page: %d instances, next %d, %v", len(page), next, err)
	}
}
