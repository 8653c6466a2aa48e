package mail_test

import (
	"net/url"
	"strings"
	"testing"

	"higate/web/mail"
	"higate/web/mail/smtptest"
)

func newMailer(t *testing.T, srv *smtptest.Server, smtpURL string) *mail.Mailer {
	t.Helper()
	m, err := mail.New(mail.Config{URL: smtpURL, From: "Higate <billing@higate.test>", RootCAs: srv.RootCAs()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSendOverSTARTTLS(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{STARTTLS: true})
	m := newMailer(t, srv, srv.URL())
	long := "curl -X POST https://gw.example.com/v3/whatsapp/single/text/message/0 -H \"X-WM-CLIENT-ID: hg_0123\" -d '{\"number\":\"12025550108\",\"message\":\"Hello\"}'"
	body := "Client ID: hg_0123\nClient secret: s=cret\n" + long + "\nGrüße ✓\n"
	if err := m.Send(t.Context(), mail.Message{To: "dev@example.com", Subject: "Your credentials ✓", Text: body}); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1)[0]
	if !got.TLS {
		t.Error("STARTTLS was offered but not used")
	}
	if got.Subject != "Your credentials ✓" || !strings.Contains(got.To, "dev@example.com") || got.Recipients[0] != "dev@example.com" {
		t.Errorf("headers %q %q %v", got.Subject, got.To, got.Recipients)
	}
	if got.Text != body {
		t.Errorf("text\n%q\nwant\n%q", got.Text, body)
	}
}

func TestSendWithoutTLSToLocalhost(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{})
	m := newMailer(t, srv, srv.URL())
	if err := m.Send(t.Context(), mail.Message{To: "dev@example.com", Subject: "hi", Text: "hello\n"}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1)[0]; got.TLS || got.Text != "hello\n" {
		t.Fatalf("%+v", got)
	}
}

func TestSendFailures(t *testing.T) {
	srv := smtptest.New(t, smtptest.Options{STARTTLS: true})
	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword(smtptest.User, "wrong")
	if err := newMailer(t, srv, u.String()).Send(t.Context(), mail.Message{To: "a@example.com", Subject: "x", Text: "x"}); err == nil {
		t.Error("wrong password accepted")
	} else if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
	srv.Refuse(1)
	m := newMailer(t, srv, srv.URL())
	if err := m.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "x", Text: "x"}); err == nil {
		t.Error("a refused delivery returned no error")
	}
	if err := m.Send(t.Context(), mail.Message{To: "a@example.com", Subject: "x", Text: "x"}); err != nil {
		t.Errorf("after the refusal: %v", err)
	}
	if err := m.Send(t.Context(), mail.Message{To: "not an address", Subject: "x", Text: "x"}); err == nil {
		t.Error("a bad recipient was accepted")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		url, from string
		ok        bool
	}{
		{"smtp://u:p@mail.example.com:587", "a@example.com", true},
		{"smtps://mail.example.com", "Higate <a@example.com>", true},
		{"smtp://mail.example.com", "not an address", false},
		{"http://mail.example.com", "a@example.com", false},
		{"smtp://:25", "a@example.com", false},
		{"smtp://mail.example.com:99999", "a@example.com", false},
	} {
		_, err := mail.New(mail.Config{URL: c.url, From: c.from})
		if (err == nil) != c.ok {
			t.Errorf("%s %s: %v", c.url, c.from, err)
		}
	}
	m, _ := mail.New(mail.Config{URL: "smtp://user:hunter2@mail.example.com:587", From: "a@example.com"})
	if s := m.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "user@mail.example.com") {
		t.Errorf("String() = %q", s)
	}
	if s := mail.Redact("smtp://user:hunter2@h:25"); strings.Contains(s, "hunter2") {
		t.Errorf("Redact = %q", s)
	}
}
