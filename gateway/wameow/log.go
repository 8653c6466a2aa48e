package wameow

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// slogLogger adapts whatsmeow's printf-style logger to slog, so its lines
// land in the server's one log stream with the number's attributes.
type slogLogger struct {
	log *slog.Logger
}

var _ waLog.Logger = slogLogger{}

func (l slogLogger) Errorf(msg string, args ...any) { l.emit(slog.LevelError, msg, args) }
func (l slogLogger) Warnf(msg string, args ...any)  { l.emit(slog.LevelWarn, msg, args) }
func (l slogLogger) Infof(msg string, args ...any)  { l.emit(slog.LevelInfo, msg, args) }
func (l slogLogger) Debugf(msg string, args ...any) { l.emit(slog.LevelDebug, msg, args) }

// Sub names the whatsmeow module ("Client/Socket") in an attribute rather
// than a prefix, so log queries can filter on it.
func (l slogLogger) Sub(module string) waLog.Logger {
	return slogLogger{log: l.log.With("module", module)}
}

func (l slogLogger) emit(level slog.Level, msg string, args []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return // whatsmeow logs a lot at debug; skip the formatting
	}
	text := fmt.Sprintf(msg, args...)
	if level > slog.LevelDebug {
		// whatsmeow prints JIDs (phone numbers) and XML nodes in its lines;
		// the house rule is no full phone numbers above debug.
		text = maskDigits(text)
	}
	l.log.Log(ctx, level, text)
}

// longDigits matches runs long enough to be a phone number, not a status
// code or a count.
var longDigits = regexp.MustCompile(`[0-9]{7,}`)

// maskDigits masks every phone-number-like run of digits in s.
func maskDigits(s string) string {
	return longDigits.ReplaceAllStringFunc(s, maskRun)
}

// mask shortens a phone number for logs: "+4915112345678" -> "+49********678".
// Enough stays to tell numbers apart in an operator's eyes, not enough to
// identify a person.
func mask(number string) string {
	if number == "" {
		return ""
	}
	plus := strings.HasPrefix(number, "+")
	m := maskRun(strings.TrimPrefix(number, "+"))
	if plus {
		return "+" + m
	}
	return m
}

func maskRun(d string) string {
	if len(d) < 6 {
		return strings.Repeat("*", len(d))
	}
	return d[:2] + strings.Repeat("*", len(d)-5) + d[len(d)-3:]
}
