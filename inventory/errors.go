package inventory

import (
	"errors"
	"fmt"
)

// Error codes, the upstream's vocabulary; the gateway maps each to one HTTP status in one place.
const (
	EUnauthorized  = "unauthorized"         // 401
	EForbidden     = "forbidden"            // 403
	ENotFound      = "not_found"            // 404
	EValidation    = "validation_error"     // 400
	ENotAcceptable = "not_acceptable"       // 406
	ERateLimited   = "rate_limited"         // 429
	EUnavailable   = "upstream_unavailable" // 502, 503, 504
	EInternal      = "internal_error"       // 500
)

// Error is feedgate's one error type that carries a code a person or program can act on.
// Message is safe to show to the caller: it never holds a key or another tenant's data.
type Error struct {
	Code    string
	Message string
	Details map[string]any
	// Err is the cause, for logs and errors.Is; it is never shown to a caller.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of the first *Error in err's chain, EInternal for any other error and
// "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage is the caller-safe message of err: an *Error's message, or a generic sentence
// for anything else (whose text may carry internals).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}
