// Package mail sends Higate's e-mail (credentials, reminders) over SMTP
// with github.com/wneessen/go-mail. It knows nothing of what the mails say.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Config configures a Mailer.
type Config struct {
	// URL is the SMTP server: smtp://user:pass@host:port uses STARTTLS when
	// the server offers it (port 587 if none is given); smtps:// is TLS from
	// the first byte (port 465). User and password are optional.
	URL     string
	From    string         // the From address, e.g. "Higate <billing@example.com>"
	Timeout time.Duration  // per delivery; default 30 s
	RootCAs *x509.CertPool // for the server's certificate; nil means the system's (tests pass their own)
	Metrics *Metrics       // counts deliveries by outcome (NewMetrics); nil counts nothing
}

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends mail. It is safe for concurrent use: each Send has its own
// SMTP connection, which at Higate's volume costs nothing and keeps one
// slow delivery from holding up another.
type Mailer struct {
	host     string
	port     int
	implicit bool // smtps
	user     string
	pass     string
	from     string
	timeout  time.Duration
	rootCAs  *x509.CertPool
	redacted string
	metrics  *Metrics
}

// New checks cfg and returns a Mailer. It does not connect.
func New(cfg Config) (*Mailer, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("mail: the SMTP URL does not parse") // the URL may hold a password: do not echo it
	}
	m := &Mailer{host: u.Hostname(), from: cfg.From, timeout: cfg.Timeout, rootCAs: cfg.RootCAs, metrics: cfg.Metrics}
	switch u.Scheme {
	case "smtp":
		m.port = 587
	case "smtps":
		m.port, m.implicit = 465, true
	default:
		return nil, fmt.Errorf("mail: SMTP URL scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if m.host == "" {
		return nil, errors.New("mail: the SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if m.port, err = strconv.Atoi(p); err != nil || m.port < 1 || m.port > 65535 {
			return nil, fmt.Errorf("mail: SMTP port %q", p)
		}
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	if _, err := netmail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("mail: from address %q: %w", cfg.From, err)
	}
	if m.timeout <= 0 {
		m.timeout = 30 * time.Second
	}
	m.redacted = Redact(cfg.URL)
	return m, nil
}

// Redact returns an SMTP URL fit for logs: the password is removed.
func Redact(smtpURL string) string {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return "(unparsable SMTP URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// String describes the mailer without its password.
func (m *Mailer) String() string { return m.redacted }

// Send delivers msg. It returns when the server has accepted the message
// or refused it.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	gm := gomail.NewMsg()
	if err := gm.From(m.from); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := gm.To(msg.To); err != nil {
		return fmt.Errorf("mail: to %q: %w", msg.To, err)
	}
	gm.Subject(msg.Subject)
	gm.SetDate()
	gm.SetMessageID()
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)

	tlsConf := &tls.Config{ServerName: m.host, RootCAs: m.rootCAs, MinVersion: tls.VersionTLS12}
	opts := []gomail.Option{gomail.WithPort(m.port), gomail.WithTimeout(m.timeout), gomail.WithTLSConfig(tlsConf)}
	if m.implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.user != "" {
		// PLAIN and LOGIN refuse to send the password over an unencrypted
		// connection to anything but localhost, so STARTTLS being offered
		// is what lets them run; SCRAM is preferred where offered.
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
			gomail.SMTPAuthPlain, gomail.SMTPAuthLogin), gomail.WithUsername(m.user), gomail.WithPassword(m.pass))
	}
	c, err := gomail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	err = c.DialAndSendWithContext(ctx, gm)
	m.metrics.sent(err)
	if err != nil {
		return fmt.Errorf("mail: send to %s via %s: %w", msg.To, m.redacted, err)
	}
	return nil
}
