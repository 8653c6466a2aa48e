package registry

import (
	"errors"
	"fmt"
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
	CodeUnavailable     = 503 // the instance has no usable gateway number
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
	RetryAfter time.Duration // set on 469: until the window resets
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
