package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"higate/gateway/sim"
)

// Media of the kinds beyond WhatsMate's: just the bytes each format starts
// with, which is what the server sniffs.
var (
	// An Ogg page whose one segment is an Opus identification header.
	oggOpusBytes = append(append([]byte("OggS\x00\x02"), make([]byte, 20)...), append([]byte{1, 19}, "OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"...)...)
	// The same with a Vorbis header, which WhatsApp does not play.
	oggVorbisBytes = append(append([]byte("OggS\x00\x02"), make([]byte, 20)...), append([]byte{1, 30}, "\x01vorbis\x00\x00\x00\x00\x02\x44\xac\x00\x00\x00\x00\x00\x00\x00\xee\x02\x00\x00\x00\x00\x00\xb8\x01"...)...)
	mp3Bytes       = []byte("\xff\xfb\x90\x64\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	m4aBytes       = []byte("\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00\x00\x00\x00\x08free")
	mp4Bytes       = []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08free")
	movBytes       = []byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide")
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// kindCase is one send of the new kinds, and what the recipient must see.
type kindCase struct {
	kind  string
	body  map[string]any
	check func(m sim.Message) bool
}

func newKindCases() []kindCase {
	return []kindCase{
		{"audio", map[string]any{"audio": b64(oggOpusBytes)}, func(m sim.Message) bool {
			return m.Kind == "audio" && m.Voice && m.Mimetype == "audio/ogg; codecs=opus" && m.Size == len(oggOpusBytes)
		}},
		{"audio", map[string]any{"audio": b64(mp3Bytes)}, func(m sim.Message) bool {
			return m.Kind == "audio" && !m.Voice && m.Mimetype == "audio/mpeg"
		}},
		{"audio", map[string]any{"audio": b64(m4aBytes)}, func(m sim.Message) bool {
			return m.Kind == "audio" && !m.Voice && m.Mimetype == "audio/mp4"
		}},
		{"video", map[string]any{"video": b64(mp4Bytes), "caption": "api: the clip (y)"}, func(m sim.Message) bool {
			return m.Kind == "video" && m.Mimetype == "video/mp4" && m.Caption == "api: the clip 👍" && m.Size == len(mp4Bytes)
		}},
		{"location", map[string]any{"latitude": 52.516275, "longitude": 13.377704, "name": "Brandenburger Tor", "address": "Pariser Platz, 10117 Berlin"}, func(m sim.Message) bool {
			return m.Kind == "location" && m.Location != nil && m.Latitude == 52.516275 && m.Longitude == 13.377704 &&
				m.Name == "Brandenburger Tor" && m.Address == "Pariser Platz, 10117 Berlin"
		}},
		{"location", map[string]any{"latitude": 0, "longitude": -180}, func(m sim.Message) bool {
			return m.Kind == "location" && m.Location != nil && m.Latitude == 0 && m.Longitude == -180 && m.Name == ""
		}},
		{"contact", map[string]any{"contact_name": "Dr. Ada Lovelace; FRS", "contact_number": "+44 20 7946 0018"}, func(m sim.Message) bool {
			return m.Kind == "contact" && m.Contact != nil && m.ContactName == "Dr. Ada Lovelace; FRS" && m.ContactNumber == "+442079460018" &&
				strings.Contains(m.VCard, "VERSION:3.0") && strings.Contains(m.VCard, "FN:Dr. Ada Lovelace\\; FRS") &&
				strings.Contains(m.VCard, "TEL;type=CELL;type=VOICE;waid=442079460018:+442079460018")
		}},
	}
}

// Every new kind goes out to a single recipient and to every member of a
// group, and the job says what it was.
func TestNewKindsSingleAndGroup(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	const member = "+4915100000021"
	if r := e.do("POST", "/sandbox/api/groups", map[string]any{"name": "Kinds", "admin": user, "members": []string{member}, "gateway": sandboxGW}); r.status != 200 {
		t.Fatalf("group: %d %s", r.status, r.raw)
	}
	cases := newKindCases()
	var ids []string
	for _, c := range cases {
		body := map[string]any{"number": "12025550108"}
		for k, v := range c.body {
			body[k] = v
		}
		r := e.send(a, "/v3/whatsapp/single/"+c.kind+"/message/0", body)
		if r.status != 200 || r.str("status") != "queued" {
			t.Fatalf("single %s %v: %d %s", c.kind, c.body, r.status, r.raw)
		}
		ids = append(ids, r.str("id"))
		gbody := map[string]any{"group_name": "Kinds", "group_admin": user}
		for k, v := range c.body {
			gbody[k] = v
		}
		if r := e.send(a, "/v3/whatsapp/group/"+c.kind+"/message/0", gbody); r.status != 200 {
			t.Fatalf("group %s: %d %s", c.kind, r.status, r.raw)
		}
	}
	api := func(m sim.Message) bool { return m.Kind != "text" }
	direct := e.waitMessages(user, 2*len(cases), api)
	grouped := e.waitMessages(member, len(cases), api)
	for i, c := range cases {
		if m := direct[2*i]; m.Group != "" || !c.check(m) {
			t.Errorf("single %s %v: the recipient got %+v", c.kind, c.body, m)
		}
		if m := direct[2*i+1]; m.Group != "Kinds" || !c.check(m) {
			t.Errorf("group %s %v: the admin got %+v", c.kind, c.body, m)
		}
		if m := grouped[i]; m.Group != "Kinds" || !c.check(m) {
			t.Errorf("group %s %v: the member got %+v", c.kind, c.body, m)
		}
	}
	e.eventually("delivered", func() bool { return e.job(a, ids[len(ids)-1]).str("status") == "delivered" })
	if j := e.job(a, ids[len(ids)-1]); j.str("kind") != "contact" || j.str("number") != user {
		t.Fatalf("job %s", j.raw)
	} else {
		sent, err1 := time.Parse(time.RFC3339Nano, j.str("sent_at"))
		delivered, err2 := time.Parse(time.RFC3339Nano, j.str("delivered_at"))
		if err1 != nil || err2 != nil || delivered.Before(sent) || j.str("read_at") != "" {
			t.Fatalf("a delivered job's step times: %s", j.raw)
		}
	}
}

// The sandbox's message view shows each kind's own fields, and only on
// messages of that kind.
func TestSandboxMessagesShowNewKinds(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	for _, c := range []struct {
		kind string
		body map[string]any
	}{
		{"location", map[string]any{"latitude": -33.856784, "longitude": 151.215297, "name": "Opera House"}},
		{"contact", map[string]any{"contact_name": "Grace", "contact_number": "12025550111"}},
		{"audio", map[string]any{"audio": b64(oggOpusBytes)}},
		{"text", map[string]any{"message": "api: last"}},
	} {
		c.body["number"] = user
		if r := e.send(a, "/v3/whatsapp/single/"+c.kind+"/message/0", c.body); r.status != 200 {
			t.Fatalf("%s: %d %s", c.kind, r.status, r.raw)
		}
	}
	e.waitMessages(user, 1, func(m sim.Message) bool { return m.Text == "api: last" })
	r := e.do("GET", "/sandbox/api/messages?number=%2B12025550108", nil)
	var view struct{ Messages []map[string]any }
	if err := json.Unmarshal([]byte(r.raw), &view); err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]any{}
	for _, m := range view.Messages {
		seen[m["kind"].(string)] = m
	}
	loc, con, aud, txt := seen["location"], seen["contact"], seen["audio"], seen["text"]
	if loc["latitude"] != -33.856784 || loc["longitude"] != 151.215297 || loc["name"] != "Opera House" || loc["contact_name"] != nil {
		t.Errorf("location in the view: %v", loc)
	}
	if con["contact_name"] != "Grace" || con["contact_number"] != "+12025550111" || con["latitude"] != nil || !strings.HasPrefix(con["vcard"].(string), "BEGIN:VCARD") {
		t.Errorf("contact in the view: %v", con)
	}
	if aud["voice"] != true || aud["mimetype"] != "audio/ogg; codecs=opus" {
		t.Errorf("audio in the view: %v", aud)
	}
	for _, k := range []string{"latitude", "contact_name", "voice", "vcard"} {
		if _, ok := txt[k]; ok {
			t.Errorf("a text message shows %s: %v", k, txt)
		}
	}
}

// Each kind refuses what it cannot send, in the documented shape, and
// nothing is queued.
func TestNewKindsValidation(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	big := b64(append(bytes.Clone(mp4Bytes), make([]byte, 16<<20)...))
	for _, c := range []struct {
		kind   string
		body   map[string]any
		code   int
		phrase string // in the message or the remedy
	}{
		{"audio", map[string]any{}, 470, "audio is empty"},
		{"audio", map[string]any{"audio": "!!"}, 400, "base64"},
		{"audio", map[string]any{"audio": b64(pngBytes)}, 400, "not audio WhatsApp plays (image/png)"},
		{"audio", map[string]any{"audio": b64(oggVorbisBytes)}, 400, "not Opus"},
		{"audio", map[string]any{"audio": b64(movBytes)}, 400, "video route"},
		{"video", map[string]any{"video": b64(mp3Bytes)}, 400, "not a video WhatsApp plays"},
		{"video", map[string]any{"video": b64(movBytes)}, 400, "QuickTime"},
		{"video", map[string]any{"video": b64(m4aBytes)}, 400, "audio route"},
		{"video", map[string]any{"video": big}, 413, "16 MB"},
		{"video", map[string]any{"video": b64(mp4Bytes), "caption": strings.Repeat("x", 801)}, 400, "caption"},
		{"location", map[string]any{"longitude": 13.4}, 400, "latitude"},
		{"location", map[string]any{"latitude": 52.5}, 400, "longitude"},
		{"location", map[string]any{"latitude": 90.5, "longitude": 0}, 400, "latitude 90.5 is out of range"},
		{"location", map[string]any{"latitude": 0, "longitude": -180.01}, 400, "-180 to 180"},
		{"location", map[string]any{"latitude": "52.5", "longitude": 13.4}, 400, "latitude must be a number"},
		{"location", map[string]any{"latitude": 1, "longitude": 1, "name": strings.Repeat("n", 257)}, 400, "name is 257 characters"},
		{"contact", map[string]any{"contact_number": "4915112345678"}, 400, "contact_name"},
		{"contact", map[string]any{"contact_name": "  ", "contact_number": "4915112345678"}, 400, "contact_name"},
		{"contact", map[string]any{"contact_name": "Ada"}, 400, "contact_number"},
		{"contact", map[string]any{"contact_name": "Ada", "contact_number": "12345"}, 400, "not a valid number"},
		{"contact", map[string]any{"contact_name": strings.Repeat("a", 257), "contact_number": "4915112345678"}, 400, "contact_name is 257"},
	} {
		c.body["number"] = user
		r := e.send(a, "/v3/whatsapp/single/"+c.kind+"/message/0", c.body)
		if r.status != c.code || r.str("status") != "error" || r.body["code"] != float64(c.code) || r.str("remedy") == "" ||
			!strings.Contains(r.str("message")+" "+r.str("remedy"), c.phrase) {
			t.Errorf("%s %.80v: %d %.300s, want %d with %q", c.kind, c.body, r.status, r.raw, c.code, c.phrase)
		}
	}
	if r := e.rateRemaining(a); r != "50" {
		t.Fatalf("refused sends counted: %s remaining", r)
	}
}

// rateRemaining is what the account has left in its window, as the job
// status route's headers say.
func (e *env) rateRemaining(a account) string {
	e.t.Helper()
	return e.job(a, "0").header.Get("RateLimit-Remaining")
}

// The same Idempotency-Key with another place is another request (409);
// with the same one it replays.
func TestIdempotencyKeyCoversLocations(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "trial"})
	e.register(user, sandboxGW)
	send := func(lat float64) response {
		return e.send(a, "/v3/whatsapp/single/location/message/0", map[string]any{"number": user, "latitude": lat, "longitude": 2}, "Idempotency-Key", "k1")
	}
	first := send(1)
	if first.status != 200 {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	if again := send(1); again.status != 200 || again.str("id") != first.str("id") || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.status, again.raw)
	}
	if other := send(1.5); other.status != 409 {
		t.Fatalf("another place under the same key: %d %s", other.status, other.raw)
	}
}
