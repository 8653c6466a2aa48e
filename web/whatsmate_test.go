package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"higate/gateway/sim"
	"higate/registry"
)

// WhatsMate's published sample clients are in github.com/whatsmate/wa-demos
// (commit 8c74e21, the newest when this test was written). Each case below
// reproduces the HTTP request one of them makes: path, header names in
// their case, the headers its HTTP library adds, the Content-Type it sends
// (or not), and the body as its JSON library writes it: Python's ", " and
// ": " separators and \u escapes, PHP's escaped slashes, Gson's \u003d for
// "=", .NET's \u0027 and \u002B, PowerShell's indented CRLF output, a bash
// heredoc's indentation and trailing newline, hand-built strings. Only the
// host, the instance and the credentials differ from the samples (and a
// recipient where the sample's own is a placeholder that is not a number).

// sampleRepo is where every sample named below lives.
const sampleRepo = "whatsmate/wa-demos"

// jsonStyle is how one JSON library writes an object.
type jsonStyle struct {
	open, sep, colon, close string
	escape                  func(r rune) string // "" leaves the rune as it is
}

// field is one member of a sample's body; a nil value is written as null.
type field struct {
	key string
	val *string
}

func f(key, val string) field { return field{key, &val} }
func null(key string) field   { return field{key: key} }

func (s jsonStyle) encode(fields ...field) string {
	var b strings.Builder
	b.WriteString(s.open)
	for i, fl := range fields {
		if i > 0 {
			b.WriteString(s.sep)
		}
		b.WriteString(s.quote(fl.key) + s.colon)
		if fl.val == nil {
			b.WriteString("null")
		} else {
			b.WriteString(s.quote(*fl.val))
		}
	}
	b.WriteString(s.close)
	return b.String()
}

func (s jsonStyle) quote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		if e := s.escape(r); e != "" {
			b.WriteString(e)
			continue
		}
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// escapeAs escapes the given runes as \uXXXX, and every non-ASCII rune too
// when nonASCII is set (in UTF-16, as JSON does).
func escapeAs(runes string, nonASCII bool) func(rune) string {
	return func(r rune) string {
		if strings.ContainsRune(runes, r) || nonASCII && r > 0x7f {
			if r > 0xffff {
				r -= 0x10000
				return fmt.Sprintf(`\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			}
			return fmt.Sprintf(`\u%04x`, r)
		}
		return ""
	}
}

var (
	none = func(rune) string { return "" }
	// Python's json.dumps, as requests' json= calls it.
	pythonJSON = jsonStyle{"{", ", ", ": ", "}", escapeAs("", true)}
	// PHP's json_encode: compact, "/" escaped, non-ASCII as \u.
	phpJSON = jsonStyle{"{", ",", ":", "}", func(r rune) string {
		if r == '/' {
			return `\/`
		}
		return escapeAs("", true)(r)
	}}
	// Gson: compact, HTML-safe escapes, = among them.
	gsonJSON = jsonStyle{"{", ",", ":", "}", escapeAs("<>&='", false)}
	// .NET Framework's JavaScriptSerializer.
	jssJSON = jsonStyle{"{", ",", ":", "}", escapeAs("<>&'", false)}
	// .NET's System.Text.Json with its default encoder.
	stjJSON = jsonStyle{"{", ",", ":", "}", escapeAs("<>&'+`", true)}
	// JavaScript's JSON.stringify (Node, Google Apps Script).
	jsJSON = jsonStyle{"{", ",", ":", "}", none}
	// Windows PowerShell 5.1's ConvertTo-Json of a hashtable.
	psJSON = jsonStyle{"{\r\n    ", ",\r\n    ", ":  ", "\r\n}", escapeAs("<>&'", false)}
	// A bash heredoc, as the shell samples write their body to a file.
	heredocJSON = jsonStyle{"  {\n    ", ",\n    ", ": ", "\n  }\n", none}
	// A string built by hand: Java's StringBuilder, VBA's concatenation.
	javaHandJSON = jsonStyle{"{", ",", ":", "}", none}
	vbaHandJSON  = jsonStyle{"{", ", ", ": ", "}", none}
)

// Headers that the samples' HTTP libraries add on their own.
var (
	pythonRequests = []string{"User-Agent", "python-requests/2.31.0", "Accept-Encoding", "gzip, deflate", "Accept", "*/*", "Connection", "keep-alive", "Content-Type", "application/json"}
	phpCurl        = []string{"Accept", "*/*"}
	curlCLI        = []string{"User-Agent", "curl/8.5.0", "Accept", "*/*"}
	javaURLConn    = []string{"User-Agent", "Java/17.0.10", "Accept", "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"}
	dotnetWeb      = []string{"Connection", "Keep-Alive"}
	powerShell     = []string{"User-Agent", "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803", "Content-Type", "application/json; charset=utf-8"}
	msxml          = []string{"Accept", "*/*", "Accept-Language", "en-us", "User-Agent", "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64)"}
	appsScript     = []string{"User-Agent", "Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd8)", "Accept-Encoding", "gzip, deflate, br", "Content-Type", "application/json"}
)

// withBase64Specials appends bytes after the end of a file (readers ignore
// them) until its base64 has "+", "/" and "=" padding, which JSON
// libraries escape in their different ways.
func withBase64Specials(data []byte) []byte {
	data = append(bytes.Clone(data), 0xfb, 0xef, 0xff)
	for {
		s := base64.StdEncoding.EncodeToString(data)
		if strings.Contains(s, "+") && strings.Contains(s, "/") && strings.HasSuffix(s, "==") {
			return data
		}
		data = append(data, 0xfb)
	}
}

// sampleJPEG is a small real JPEG, as the samples send cute-girl.jpg.
func sampleJPEG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 30, 90, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return withBase64Specials(buf.Bytes())
}

// sample is one request of a sample client.
type sample struct {
	source      string   // path in sampleRepo
	path        string   // the URL path, instance 0
	creds       []string // X-WM-CLIENT-ID / SECRET exactly as the sample names them
	headers     []string // what its HTTP library adds
	contentType string   // the Content-Type header as the sample sets it, name and value; "" if it sets none
	expect100   bool     // the library sends Expect: 100-continue for this body
	close       bool     // the library closes the connection after the request
	body        string

	// What the recipient must get.
	to                      string // the recipient whose inbox to look in
	text, caption, filename string
	media                   []byte
}

func TestWhatsMateSampleClientsWork(t *testing.T) {
	e := newEnv(t)
	a := e.newAccount(map[string]any{"email": "dev@example.com", "plan": "forever-green"})
	const (
		r108 = "+12025550108"
		r105 = "+12025550105"
		rHK  = "+85291396441"
	)
	for _, u := range []string{r108, r105, rHK} {
		e.register(u, sandboxGW)
	}
	for _, g := range []struct{ name, admin string }{
		{"Very Unique Group", "+13238471232"},
		{"Happy Club", r108},
		{"Happy Club", r105}, // a second group of that name: group_admin tells them apart
		{"YOUR UNIQUE GROUP NAME HERE", "+4915100000009"},
		{"YOUR UNIQUE GROUP NAME GOES HERE", "+4915100000009"},
		{"Happy Club Group", "+4915100000009"},
		{"GAS Demo Group", "+4915100000009"},
	} {
		r := e.do("POST", "/sandbox/api/groups", map[string]any{"name": g.name, "admin": g.admin, "members": []string{r108}, "gateway": sandboxGW})
		if r.status != 200 {
			t.Fatalf("group %s: %d %s", g.name, r.status, r.raw)
		}
	}

	jpg, pdf := sampleJPEG(t), withBase64Specials(pdfBytes)
	jpg64, pdf64 := base64.StdEncoding.EncodeToString(jpg), base64.StdEncoding.EncodeToString(pdf)
	creds := []string{"X-WM-CLIENT-ID", a.id, "X-WM-CLIENT-SECRET", a.secret}
	ct := func(v string) string { return "Content-Type: " + v }
	const (
		single = "/v3/whatsapp/single/"
		group  = "/v3/whatsapp/group/"
		pin    = "https://www.pinterest.com/pin/861032022481631898"
	)
	samples := []sample{
		// Python 3 and 2, requests with json=: it sets application/json.
		{source: "python3/send-text-individual.py", path: single + "text/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("number", "12025550108"), f("message", "This is exciting, isn't it!")),
			to:   r108, text: "This is exciting, isn't it!"},
		{source: "python3/send-text-group.py", path: group + "text/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("group_name", "Very Unique Group"), f("group_admin", "13238471232"), f("message", "This is exciting, isn't it!")),
			to:   r108, text: "This is exciting, isn't it!"},
		{source: "python3/send-image-individual.py", path: single + "image/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("number", "12025550108"), f("image", jpg64), f("caption", "Lovely Gal")),
			to:   r108, caption: "Lovely Gal", media: jpg},
		{source: "python3/send-pdf-individual.py", path: single + "document/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("number", "12025550108"), f("document", pdf64), f("filename", "anyname.pdf"), f("caption", "You will find it useful.")),
			to:   r108, filename: "anyname.pdf", caption: "You will find it useful.", media: pdf},
		{source: "python/send-whatsapp-pdf.py (caption None, which it allows)", path: single + "document/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("number", "12025550108"), f("document", pdf64), f("filename", "anyname.pdf"), null("caption")),
			to:   r108, filename: "anyname.pdf", media: pdf},
		{source: "python/send-url-group.py", path: group + "url/message/0", headers: pythonRequests,
			body: pythonJSON.encode(f("group_admin", "12025550108"), f("group_name", "Happy Club"), f("url", pin)),
			to:   r108, text: pin},

		// PHP with curl: CURLOPT_HTTPHEADER names the Content-Type; libcurl
		// adds Expect: 100-continue to bodies over 1 KB.
		{source: "php/send-whatsapp-message.php", path: single + "text/message/0", headers: phpCurl, contentType: ct("application/json"),
			body: phpJSON.encode(f("number", "12025550108"), f("message", "Howdy! Is this exciting?")),
			to:   r108, text: "Howdy! Is this exciting?"},
		{source: "php/send-whatsapp-message.php, without its Content-Type line (libcurl then sends a form type)", path: single + "text/message/0",
			headers: phpCurl, contentType: ct("application/x-www-form-urlencoded"),
			body: phpJSON.encode(f("number", "12025550108"), f("message", "Howdy! Is this exciting? ¿Sí? 👋")),
			to:   r108, text: "Howdy! Is this exciting? ¿Sí? 👋"},
		{source: "php/send-image-individual.php", path: single + "image/message/0", headers: phpCurl, contentType: ct("application/json"), expect100: true,
			body: phpJSON.encode(f("number", "12025550108"), f("image", jpg64), f("caption", "Lovely Gal")),
			to:   r108, caption: "Lovely Gal", media: jpg},
		{source: "php/send-pdf-group.php", path: group + "document/message/0", headers: phpCurl, contentType: ct("application/json"), expect100: true,
			body: phpJSON.encode(f("group_name", "YOUR UNIQUE GROUP NAME HERE"), f("document", pdf64), f("filename", "anyname.pdf"), f("caption", "You will find the map handy.")),
			to:   r108, filename: "anyname.pdf", caption: "You will find the map handy.", media: pdf},
		{source: "php/send-url-individual.php", path: single + "url/message/0", headers: phpCurl, contentType: ct("application/json"),
			body: phpJSON.encode(f("number", "12025550108"), f("url", pin)),
			to:   r108, text: pin},

		// Java's HttpURLConnection: hand-built JSON, or Gson.
		{source: "Java/send-whatsapp-message.java", path: single + "text/message/0", headers: javaURLConn, contentType: ct("application/json"),
			body: javaHandJSON.encode(f("number", "12025550108"), f("message", "Howdy, isn't this exciting?")),
			to:   r108, text: "Howdy, isn't this exciting?"},
		{source: "Java/WaImageSender.java (its recipient 1234556899 is a placeholder)", path: single + "image/message/0", headers: javaURLConn, contentType: ct("application/json"),
			body: gsonJSON.encode(f("number", "12025550108"), f("caption", "Lovely Gal"), f("image", jpg64)),
			to:   r108, caption: "Lovely Gal", media: jpg},
		{source: "Java/WaPdfSender.java (its recipient 1234556899 is a placeholder)", path: single + "document/message/0", headers: javaURLConn, contentType: ct("application/json"),
			body: gsonJSON.encode(f("number", "12025550108"), f("document", pdf64), f("filename", "anyname.pdf"), f("caption", "You will find the map handy.")),
			to:   r108, filename: "anyname.pdf", caption: "You will find the map handy.", media: pdf},
		{source: "Java/WaUrlGroupSender.java", path: group + "url/message/0", headers: javaURLConn, contentType: ct("application/json"),
			body: javaHandJSON.encode(f("group_admin", "12025550108"), f("group_name", "Happy Club"), f("url", pin)),
			to:   r108, text: pin},

		// C#: WebClient with JavaScriptSerializer (.NET Framework sends
		// Expect: 100-continue), and HttpWebRequest with System.Text.Json.
		{source: "cs/send-whatsapp-message-csharp.cs", path: single + "text/message/0", headers: dotnetWeb, contentType: ct("application/json"), expect100: true,
			body: jssJSON.encode(f("number", "12025550108"), f("message", "Isn't this excting?")),
			to:   r108, text: "Isn't this excting?"},
		{source: "cs/send-pdf-individual.cs", path: single + "document/message/0", headers: dotnetWeb, contentType: ct("application/json"), expect100: true,
			body: jssJSON.encode(f("number", "12025550105"), f("document", pdf64), f("filename", "anyname.pdf"), f("caption", "You will find the map handy.")),
			to:   r105, filename: "anyname.pdf", caption: "You will find the map handy.", media: pdf},
		{source: "cs/send-url-group.cs", path: group + "url/message/0", headers: dotnetWeb, contentType: ct("application/json"), expect100: true,
			body: jssJSON.encode(f("group_admin", "12025550105"), f("group_name", "Happy Club"), f("url", pin)),
			to:   r108, text: pin},
		{source: "cs_vs2022/send-text-individual.cs", path: single + "text/message/0", headers: []string{"Accept", "application/json"}, contentType: ct("application/json"),
			body: stjJSON.encode(f("number", "12025550108"), f("message", "Isn't this exciting?")),
			to:   r108, text: "Isn't this exciting?"},
		{source: "cs_vs2022/send-pdf-group.cs", path: group + "document/message/0", headers: []string{"Accept", "application/json"}, contentType: ct("application/json"),
			body: stjJSON.encode(f("group_name", "YOUR UNIQUE GROUP NAME HERE"), f("caption", "You should find the map handy."), f("document", pdf64), f("filename", "anyname.pdf")),
			to:   r108, filename: "anyname.pdf", caption: "You should find the map handy.", media: pdf},

		// Node's http.ClientRequest with JSON.stringify and its own Content-Length.
		{source: "nodejs/send-whatsapp-message-nodejs.js", path: single + "text/message/0", contentType: ct("application/json"), close: true,
			body: jsJSON.encode(f("number", "12025550108"), f("message", "Howdy, isn't this exciting?")),
			to:   r108, text: "Howdy, isn't this exciting?"},
		{source: "nodejs/send-image-individual.js", path: single + "image/message/0", contentType: ct("application/json"), close: true,
			body: jsJSON.encode(f("number", "12025550108"), f("image", jpg64), f("caption", "Lovely Gal")),
			to:   r108, caption: "Lovely Gal", media: jpg},
		{source: "nodejs/send-url-group.js", path: group + "url/message/0", contentType: ct("application/json"), close: true,
			body: jsJSON.encode(f("group_admin", "12025550108"), f("group_name", "Happy Club"), f("url", pin)),
			to:   r108, text: pin},

		// Windows PowerShell's Invoke-WebRequest (the group sample is the
		// PowerShell script the repository keeps under bash/).
		{source: "PowerShell/send-whatsapp-individual.ps1", path: single + "text/message/0", headers: powerShell, expect100: true,
			body: psJSON.encode(f("message", "Howdy, this is a message from PowerShell."), f("number", "12025550108")),
			to:   r108, text: "Howdy, this is a message from PowerShell."},
		{source: "bash/send-whatsapp-group-message.sh", path: group + "text/message/0", headers: powerShell, expect100: true,
			body: psJSON.encode(f("message", "Guys, let's party tonight!"), f("group_name", "Happy Club"), f("group_admin", "12025550108")),
			to:   r108, text: "Guys, let's party tonight!"},

		// curl with --data-binary from a heredoc file.
		{source: "bash/send-pdf-individual.sh", path: single + "document/message/0", headers: curlCLI, contentType: ct("application/json"), expect100: true,
			body: heredocJSON.encode(f("number", "12025550108"), f("document", pdf64), f("filename", "map.pdf"), f("caption", "You will find it handy.")),
			to:   r108, filename: "map.pdf", caption: "You will find it handy.", media: pdf},
		{source: "bash/send-image-group.sh", path: group + "image/message/0", headers: curlCLI, contentType: ct("application/json"), expect100: true,
			body: heredocJSON.encode(f("group_name", "YOUR UNIQUE GROUP NAME GOES HERE"), f("caption", "Lovely Gal"), f("image", jpg64)),
			to:   r108, caption: "Lovely Gal", media: jpg},
		{source: "bash/send-url-individual.sh", path: single + "url/message/0", headers: curlCLI, contentType: ct("application/json"),
			body: heredocJSON.encode(f("number", "85291396441"), f("url", pin)),
			to:   rHK, text: pin},

		// VBA's MSXML2.XMLHTTP, which names the header "Content-type".
		{source: "vba/send-whatsapp-message.vbs", path: single + "text/message/0", headers: msxml, contentType: "Content-type: application/json",
			body: vbaHandJSON.encode(f("number", "12025550108"), f("message", "God Loves You")),
			to:   r108, text: "God Loves You"},
		{source: "vba/SendImageToGroup.vbs", path: group + "image/message/0", headers: msxml, contentType: "Content-type: application/json",
			body: vbaHandJSON.encode(f("group_name", "Happy Club Group"), f("image", jpg64), f("caption", "Lovely Girl")),
			to:   r108, caption: "Lovely Girl", media: jpg},

		// Google Apps Script's UrlFetchApp with contentType.
		{source: "gas/send-whatsapp-message.gs", path: single + "text/message/0", headers: appsScript,
			body: jsJSON.encode(f("number", "12025550108"), f("message", "Aloha, this is my first message.")),
			to:   r108, text: "Aloha, this is my first message."},
		{source: "gas/SendPdfToIndividual.gs", path: single + "document/message/0", headers: appsScript,
			body: jsJSON.encode(f("number", "12025550108"), f("document", pdf64), f("filename", "anyname.pdf"), f("caption", "You should find the map handy.")),
			to:   r108, filename: "anyname.pdf", caption: "You should find the map handy.", media: pdf},
		{source: "gas/SendToGroup.gs", path: group + "image/message/0", headers: appsScript,
			body: jsJSON.encode(f("group_name", "GAS Demo Group"), f("image", jpg64)),
			to:   r108, media: jpg},
	}

	// Check that the encoders reproduce the quirks they are here for.
	for want, in := range map[string]string{
		`{"number": "12025550108", "message": "This is exciting, isn't it!"}`: samples[0].body,
		`\/`:           samples[8].body,
		`\u003d`:       samples[13].body,
		`\u0027`:       samples[15].body,
		`\u002B`:       samples[19].body,
		"\r\n":         samples[23].body,
		`\ud83d\udc4b`: samples[7].body,
	} {
		if !strings.Contains(strings.ToLower(in), strings.ToLower(want)) {
			t.Fatalf("encoder: %q not in %.80s", want, in)
		}
	}

	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	ids := make([]string, len(samples))
	for i, s := range samples {
		req, err := http.NewRequest("POST", e.srv.URL+s.path, strings.NewReader(s.body))
		if err != nil {
			t.Fatal(err)
		}
		// Header names go on the wire in the sample's case: set the map
		// directly, not through Header.Set, which canonicalizes them.
		set := func(kv ...string) {
			for j := 0; j+1 < len(kv); j += 2 {
				req.Header[kv[j]] = []string{kv[j+1]}
			}
		}
		set(s.headers...)
		set(creds...)
		if name, value, ok := strings.Cut(s.contentType, ": "); ok {
			set(name, value)
		}
		if s.expect100 {
			set("Expect", "100-continue")
		}
		req.Close = s.close
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s/%s: %v", sampleRepo, s.source, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var got struct{ Status, ID string }
		if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != 200 || got.Status != "queued" || got.ID == "" {
			t.Errorf("%s/%s: %d %s", sampleRepo, s.source, resp.StatusCode, data)
			continue
		}
		ids[i] = got.ID
	}
	client.CloseIdleConnections()

	for i, s := range samples {
		if ids[i] == "" {
			continue
		}
		id, _ := registry.ParseJobID(ids[i])
		var j registry.Job
		e.eventually(s.source+" sent", func() bool {
			j, _ = e.store.Job(id)
			return j.State == registry.JobSent || j.State == registry.JobDelivered || j.State == registry.JobRead
		})
		var m sim.Message
		e.eventually(s.source+" received", func() bool {
			for _, got := range e.net.Messages(s.to) {
				if got.ID == j.MessageID {
					m = got
					return true
				}
			}
			return false
		})
		want := sim.Message{Text: s.text, Caption: s.caption, Filename: s.filename}
		if s.media != nil {
			sum := sha256.Sum256(s.media)
			want.SHA256 = hex.EncodeToString(sum[:])
		}
		if m.Text != want.Text || m.Caption != want.Caption || m.Filename != want.Filename || m.SHA256 != want.SHA256 {
			t.Errorf("%s/%s: %s received text %q caption %q file %q sha %.12s; want %q %q %q %.12s", sampleRepo, s.source, s.to,
				m.Text, m.Caption, m.Filename, m.SHA256, want.Text, want.Caption, want.Filename, want.SHA256)
		}
	}
}
