// Package smtptest is an in-process SMTP server over
// github.com/emersion/go-smtp that captures what it receives, for tests. It
// requires AUTH, can offer STARTTLS with its own certificate, and can be
// told to refuse deliveries, so tests exercise the real SMTP path of the
// mailer instead of a stub.
package smtptest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The credentials the server accepts.
const (
	User     = "higate"
	Password = "smtp-test-password"
)

// Options configure a Server.
type Options struct {
	// STARTTLS makes the server offer STARTTLS, with a certificate for
	// 127.0.0.1 that RootCAs trusts; AUTH is then refused before TLS.
	STARTTLS bool
}

// Server is a running SMTP server.
type Server struct {
	Addr string // host:port

	srv     *smtp.Server
	rootCAs *x509.CertPool

	mu      sync.Mutex
	msgs    []Message
	refuse  int
	changed chan struct{} // closed and replaced on every new message
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	if opts.STARTTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			tb.Fatal(err)
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.rootCAs = pool
	} else {
		s.srv.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { _ = s.srv.Serve(ln); close(done) }()
	tb.Cleanup(func() { _ = s.srv.Close(); <-done })
	return s
}

// URL is the server as a mailer's SMTP URL, credentials included.
func (s *Server) URL() string {
	return (&url.URL{Scheme: "smtp", User: url.UserPassword(User, Password), Host: s.Addr}).String()
}

// RootCAs trusts the server's certificate (nil without STARTTLS).
func (s *Server) RootCAs() *x509.CertPool { return s.rootCAs }

// Refuse makes the next n deliveries fail with a temporary error, as a mail
// server that is down would.
func (s *Server) Refuse(n int) {
	s.mu.Lock()
	s.refuse = n
	s.mu.Unlock()
}

// Messages returns what the server has received, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the messages once there are at least n, or fails the test
// after 10 seconds. It waits on deliveries, not on a timer's ticks.
func (s *Server) Wait(tb testing.TB, n int) []Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-ctx.Done():
			tb.Fatalf("smtptest: %d messages after 10 s, want %d", len(msgs), n)
			return nil
		}
	}
}

func (s *Server) deliver(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse > 0 {
		s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// session is one SMTP session.
type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

// AuthMechanisms offers PLAIN, which the mailer uses after STARTTLS (or to
// localhost without it).
func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !se.authed {
		return smtp.ErrAuthRequired
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, tlsOn := se.conn.TLSConnectionState()
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.Envelope, m.Recipients, m.TLS = se.from, append([]string(nil), se.to...), tlsOn
	return se.s.deliver(m)
}

// Reset forgets the message in progress, as RSET asks.
func (se *session) Reset() { se.from, se.to = "", nil }

// Logout ends the session; there is nothing to free.
func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
