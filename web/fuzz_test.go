package web_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"higate/registry"
)

// sendCodes are the statuses DESIGN.md gives a send; anything else,
// above all a 500, is a bug the fuzzer found.
var sendCodes = map[int]bool{200: true, 400: true, 404: true, 413: true, 469: true, 470: true, 471: true, 472: true, 473: true, 474: true, 475: true, 503: true}

// sendKinds are the send routes' kinds; a corpus entry's kind indexes it,
// so new kinds go at the end.
var sendKinds = []string{"text", "image", "document", "url", "audio", "video", "location", "contact"}

// FuzzSendBody throws bodies at the sixteen send endpoints through the real
// handler (JSON decoding, number normalization, text checks, base64 media
// decoding and spooling, group lookup, accept): whatever the body, the
// answer is one of the documented codes in the documented shape, and a 200
// names a job that exists.
func FuzzSendBody(f *testing.F) {
	s := newStack(f, 3)
	if _, err := s.net.CreateGroup("Book club", "+4915100000009", []string{s.users[0], s.users[1]}, sandboxGW); err != nil {
		f.Fatal(err)
	}
	png := base64.StdEncoding.EncodeToString(pngBytes)
	pdf := base64.StdEncoding.EncodeToString(pdfBytes)
	for _, seed := range []struct {
		kind  uint8
		group bool
		body  string
	}{
		{0, false, `{"number":"4915100000000","message":"api: hello (y)"}`},
		{0, false, `{"number":"+49 151 0000-0001","message":"` + "Ola\u0301 👋" + `"}`},
		{0, false, `{"number":"4915100000000","message":""}`},
		{0, false, `{"number":"12345","message":"x"}`},
		{0, false, `{"number":"4915199999999","message":"not registered"}`},
		{0, false, `{"number":"4915100000000","message":"x"} {"extra":1}`},
		{0, false, `{"number":4915100000000}`},
		{1, false, `{"number":"4915100000000","image":"` + png + `","caption":"a picture"}`},
		{1, false, `{"number":"4915100000000","image":"` + pdf + `"}`},
		{1, false, `{"number":"4915100000000","image":"!!not base64!!"}`},
		{1, false, `{"number":"4915100000000","image":"   "}`},
		{2, false, `{"number":"4915100000000","document":"` + pdf + `","filename":"..\\..\\report.pdf"}`},
		{2, false, `{"number":"4915100000000","document":"` + pdf + `"}`},
		{2, false, `{"number":"4915100000000","document":"JVBER","filename":"a.pdf"}`},
		{3, false, `{"number":"4915100000000","url":"https://example.com/a?b=c"}`},
		{3, false, `{"number":"4915100000000","url":"javascript:alert(1)"}`},
		{0, true, `{"group_name":"Book club","message":"api: chapter 3"}`},
		{0, true, `{"group_name":"Book club","group_admin":"4915100000009","message":"x"}`},
		{1, true, `{"group_name":"Nope","image":"` + png + `"}`},
		{0, false, "\xff\xfe{"},
		{4, false, `{"number":"4915100000000","audio":"` + base64.StdEncoding.EncodeToString(oggOpusBytes) + `"}`},
		{4, false, `{"number":"4915100000000","audio":"` + base64.StdEncoding.EncodeToString(movBytes) + `"}`},
		{5, false, `{"number":"4915100000000","video":"` + base64.StdEncoding.EncodeToString(mp4Bytes) + `","caption":"clip"}`},
		{5, true, `{"group_name":"Book club","video":"` + base64.StdEncoding.EncodeToString(m4aBytes) + `"}`},
		{6, false, `{"number":"4915100000000","latitude":52.5,"longitude":13.4,"name":"x","address":"y"}`},
		{6, false, `{"number":"4915100000000","latitude":1e308,"longitude":-0}`},
		{6, true, `{"group_name":"Book club","latitude":null,"longitude":"1"}`},
		{7, false, `{"number":"4915100000000","contact_name":"Ada","contact_number":"+44 20 7946 0018"}`},
		{7, false, `{"number":"4915100000000","contact_name":"\r\nEND:VCARD","contact_number":"0"}`},
	} {
		f.Add(seed.kind, seed.group, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, group bool, body []byte) {
		scope := "single"
		if group {
			scope = "group"
		}
		path := fmt.Sprintf("/v3/whatsapp/%s/%s/message/0", scope, sendKinds[int(kind)%len(sendKinds)])
		w := s.post(path, body)
		if !sendCodes[w.Code] {
			t.Fatalf("POST %s %q: status %d %s", path, body, w.Code, w.Body)
		}
		var got struct {
			Status, ID, Message string
			Code                int
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("POST %s %q: body %q is not JSON: %v", path, body, w.Body, err)
		}
		if w.Code == 200 {
			id, err := registry.ParseJobID(got.ID)
			if got.Status != "queued" || err != nil {
				t.Fatalf("POST %s %q: 200 with %s", path, body, w.Body)
			}
			if _, err := s.store.Job(id); err != nil {
				t.Fatalf("POST %s %q: job %s: %v", path, body, got.ID, err)
			}
			return
		}
		if got.Status != "error" || got.Code != w.Code || got.Message == "" {
			t.Fatalf("POST %s %q: error %d in the wrong shape: %s", path, body, w.Code, w.Body)
		}
	})
}

// FuzzSandboxInbound is a simulated user sending anything to the sandbox
// number: the inbound handler, the router's greeting and opt-out
// recognition, registration and replies. It must answer with a documented
// code, never fail inside.
func FuzzSandboxInbound(f *testing.F) {
	s := newStack(f, 0)
	for _, seed := range [][2]string{
		{"+4915112345678", "Hi"}, {"4915112345678", "STOP"}, {"+81 90 1234 5678", "こんにちは"},
		{"+4915112345678", "Hallo 👋"}, {"+31612345678", "what are your prices?"}, {"+4915112345678", ""},
		{"not a number", "Hi"}, {"+15550000001", "Hi"}, {"+4915112345678", "\xff\xfe"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, from, text string) {
		body, _ := json.Marshal(map[string]string{"from": from, "to": sandboxGW, "text": text})
		w := s.post("/sandbox/api/inbound", body)
		switch w.Code {
		case 200, 400, 404, 471:
		default:
			t.Fatalf("inbound from %q %q: status %d %s", from, text, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("inbound from %q %q: body %q is not JSON", from, text, w.Body)
		}
	})
}
