package wameow_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"sync/atomic"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"higate/gateway"
	"higate/gateway/wameow"
)

func TestGroups(t *testing.T) {
	lid := types.NewJID("555444333222111", types.HiddenUserServer)
	f := newFake()
	var fetches atomic.Int32
	f.GetJoinedGroupsFunc = func(context.Context) ([]*types.GroupInfo, error) {
		fetches.Add(1)
		return []*types.GroupInfo{
			{
				JID:       types.NewJID("120363000000000001", types.GroupServer),
				OwnerJID:  types.NewJID("4917611112222", types.DefaultUserServer),
				GroupName: types.GroupName{Name: "Chess club"},
				Participants: []types.GroupParticipant{
					{JID: types.NewJID("4917611112222", types.DefaultUserServer)},
					{JID: lid, LID: lid, PhoneNumber: types.NewJID("4915122223333", types.DefaultUserServer)},
					{JID: types.NewJID("999", types.HiddenUserServer)}, // number unknown: left out
				},
			},
			{
				// A LID owner with the phone number alongside.
				JID:       types.NewJID("120363000000000002", types.GroupServer),
				OwnerJID:  lid,
				OwnerPN:   types.NewJID("4915122223333", types.DefaultUserServer),
				GroupName: types.GroupName{Name: "Chess club"},
			},
			{
				// A LID owner found only in the store.
				JID:       types.NewJID("120363000000000003", types.GroupServer),
				OwnerJID:  lid,
				GroupName: types.GroupName{Name: "Book club"},
			},
		}, nil
	}
	f.PNForLIDFunc = func(_ context.Context, j types.JID) (types.JID, error) {
		if j == lid {
			return types.NewJID("4915122223333", types.DefaultUserServer), nil
		}
		return types.JID{}, nil
	}
	now := fixedNow
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	tr, _ := start(t, f, wameow.Options{Now: func() time.Time { return *clock.Load() }})

	groups, err := tr.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []gateway.Group{
		{ID: "120363000000000001@g.us", Name: "Chess club", Admin: "+4917611112222", Members: []string{"+4917611112222", "+4915122223333"}},
		{ID: "120363000000000002@g.us", Name: "Chess club", Admin: "+4915122223333"},
		{ID: "120363000000000003@g.us", Name: "Book club", Admin: "+4915122223333"},
	}
	if len(groups) != len(want) {
		t.Fatalf("got %d groups, want %d", len(groups), len(want))
	}
	for i := range want {
		g, w := groups[i], want[i]
		if g.ID != w.ID || g.Name != w.Name || g.Admin != w.Admin || len(g.Members) != len(w.Members) {
			t.Errorf("group %d = %+v, want %+v", i, g, w)
			continue
		}
		for j := range w.Members {
			if g.Members[j] != w.Members[j] {
				t.Errorf("group %d member %d = %s, want %s", i, j, g.Members[j], w.Members[j])
			}
		}
	}

	groups[0].Members[0] = "changed by the caller"
	if _, err := tr.Groups(context.Background()); err != nil || fetches.Load() != 1 {
		t.Fatalf("second call within a minute fetched again (%d fetches, err %v)", fetches.Load(), err)
	}
	if again, _ := tr.Groups(context.Background()); again[0].Members[0] != "+4917611112222" {
		t.Fatal("the cache shares memory with callers")
	}
	later := fixedNow.Add(61 * time.Second)
	clock.Store(&later)
	if _, err := tr.Groups(context.Background()); err != nil || fetches.Load() != 2 {
		t.Fatalf("a minute later: %d fetches, err %v; want a refetch", fetches.Load(), err)
	}

	f.Disconnect()
	evenLater := later.Add(2 * time.Minute)
	clock.Store(&evenLater)
	if _, err := tr.Groups(context.Background()); !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("offline Groups = %v, want ErrNotConnected", err)
	}
}

func TestSetProfile(t *testing.T) {
	f := newFake()
	var about string
	var photo []byte
	f.SetStatusMessageFunc = func(_ context.Context, s string) error { about = s; return nil }
	f.SetProfilePhotoFunc = func(_ context.Context, b []byte) error { photo = b; return nil }
	tr, _ := start(t, f, wameow.Options{})

	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetProfile(context.Background(), gateway.Profile{About: "Higate notifications", Image: buf.Bytes()}); err != nil {
		t.Fatal(err)
	}
	if about != "Higate notifications" || !bytes.Equal(photo, buf.Bytes()) {
		t.Fatalf("about %q, photo %d bytes", about, len(photo))
	}
	if err := tr.SetProfile(context.Background(), gateway.Profile{Image: []byte("GIF89a not a jpeg")}); err == nil {
		t.Fatal("a non-JPEG picture: want an error")
	}
}
