package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// The API error codes of DESIGN.md. The HTTP status of a response is its code.
const (
	CodeBadRequest      = 400
	CodeNotFound        = 404
	CodeTooLarge        = 413
	CodeQuota           = 469 // the 24-hour window's messages are used up
	CodeEmptyMedia      = 470
	CodeInvalidNumber   = 471
	CodeNotRegistered   = 472 // recipient has not greeted the gateway number, or opted out
	CodeRecipientCap    = 473
	CodeUnauthorized    = 474 // bad credentials, expired / suspended, or not the account's instance
	CodeNotInPlan       = 475
	CodeUnavailable     = 503 // the instance has no usable gateway number, or the disk is full
	CodeInternal        = 500
	CodeConflict        = 409
	CodeNotOnWhatsApp   = 404 // job error: the recipient has no WhatsApp account
	CodeExpired         = 408 // job error: not sent before its expiry
	CodeSendRefused     = 502 // job error: WhatsApp refused the message (its code in the text)
	CodeRecipientOptOut = 472 // job error: the recipient opted out while the job waited
)

// Error is an error a client may see: a code from DESIGN.md's table, what
// happened, and what to do about it. Anything that is not an *Error is
// internal and reaches clients only as a generic 500.
type Error struct {
	Code       int
	Message    string
	Remedy     string
	RetryAfter time.Duration // set on 469 (until the window resets) and on a 503 for a full disk
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Errorf builds an *Error.
func Errorf(code int, remedy, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Remedy: remedy}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else CodeInternal.
func ErrorCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNotFound is returned by lookups of records that do not exist.
var ErrNotFound = errors.New("not found")

// diskFullRetry is the Retry-After of a write refused for a full disk.
// Freeing space takes a person, so clients should not come straight back.
const diskFullRetry = time.Minute

// diskFull turns a write that failed for lack of space into a 503 with
// Retry-After, so a client is told to retry instead of seeing a 500, and
// tells the operator, who must free space: at most once a minute, as every
// write fails alike until then. The transaction or spool file is rolled
// back or removed, so nothing is half-written.
type diskFull struct {
	log  *slog.Logger
	mu   sync.Mutex
	last time.Time // of the last warning
}

// check returns err as the 503 if it is (or wraps) ENOSPC (no space left
// on the device) or EDQUOT (the disk quota is used up); any other err as
// it is. what names the failed write for the log.
func (d *diskFull) check(what string, err error) error {
	if err == nil || !(errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)) {
		return err
	}
	d.mu.Lock()
	warn := time.Since(d.last) >= time.Minute
	if warn {
		d.last = time.Now()
	}
	d.mu.Unlock()
	if warn {
		d.log.Error("operator alert: the data directory's disk is full; writes are refused with 503 until space is freed",
			"write", what, "err", err)
	}
	return &Error{Code: CodeUnavailable, Message: "the gateway cannot store anything right now: its disk is full",
		Remedy: "retry later; the operator has been told to free disk space", RetryAfter: diskFullRetry}
}
