package main

import (
	"context"
	"io"
	stdlog "log"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"higate/registry/phone"
)

// newLogger is the server's one logger: text (logfmt, for a person reading
// journalctl) or JSON (for a log pipeline), one record a line, on w.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// shutdownLog logs each step of a shutdown with how long it took, so the
// log says what a slow stop waited for. Steps taken before Begin (a start
// that failed half-way) are not logged: the error says what happened.
type shutdownLog struct {
	log   *slog.Logger
	began time.Time
}

// Begin marks the start of the shutdown.
func (s *shutdownLog) Begin() {
	s.began = time.Now()
	s.log.Info("shutting down")
}

// Step runs stop and logs what, with how long it took.
func (s *shutdownLog) Step(what string, stop func() error) {
	start := time.Now()
	err := stop()
	if s.began.IsZero() {
		return
	}
	if err != nil {
		s.log.Warn(what, "took_ms", millis(time.Since(start)), "err", err)
		return
	}
	s.log.Info(what, "took_ms", millis(time.Since(start)))
}

// Done logs the end of the shutdown, if one began.
func (s *shutdownLog) Done() {
	if !s.began.IsZero() {
		s.log.Info("shutdown complete", "took_ms", millis(time.Since(s.began)))
	}
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// httpErrorLog is net/http's error log (a handler's panic, a failed
// accept) as records of log. Failed TLS handshakes, which every scanner on
// the internet causes, go to debug.
func httpErrorLog(log *slog.Logger) *stdlog.Logger {
	return stdlog.New(httpErrorWriter{log.With("component", "http")}, "", 0)
}

type httpErrorWriter struct{ log *slog.Logger }

func (w httpErrorWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	if strings.Contains(msg, "TLS handshake error") {
		level = slog.LevelDebug
	}
	w.log.Log(context.Background(), level, msg)
	return len(p), nil
}

// phoneLike matches what may be a phone number in free text.
var phoneLike = regexp.MustCompile(`\+?[0-9]{7,}`)

// maskNumbers masks every phone-number-like run of digits in s, for the
// log: "replaces +4915112345678" becomes "replaces +49********678".
func maskNumbers(s string) string {
	return phoneLike.ReplaceAllStringFunc(s, phone.Mask)
}
