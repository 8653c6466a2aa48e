package web_test

import (
	"strings"
	"testing"
)

func TestPairPage(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/admin/pair?number=%3Cscript%3Ealert(1)%3C/script%3E", nil)
	page := string(r.raw)
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %v", r.status, r.header)
	}
	if strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;") {
		t.Fatal("number not escaped")
	}
	if !strings.Contains(page, `"Authorization": "Bearer "`) || strings.Contains(page, adminToken) {
		t.Fatal("page must send the typed token as a header and hold none itself")
	}
}
