package inventory

import (
	"errors"
	"fmt"
)

// Error codes, the upstream's vocabulary; codeStatuses maps each to its HTTP status.
const (
	EUnauthorized  = "unauthorized"         // 401
	EForbidden     = "forbidden"            // 403
	ENotFound      = "not_found"            // 404
	EValidation    = "validation_error"     // 400
	ENotAcceptable = "not_acceptable"       // 406
	ERateLimited   = "rate_limited"         // 429
	EUnavailable   = "upstream_unavailable" // 502, 503, 504
	EInternal      = "internal_error"       // 500
	// EMethodNotAllowed is feedgate's one code beyond the upstream's list: HTTP requires 405 with
	// Allow for a wrong method, which is neither not_found nor a validation error of the content.
	EMethodNotAllowed = "method_not_allowed" // 405
)

// DetailRetryAfter is the Details key through which an *Error asks for a Retry-After header (in
// whole seconds). The gateway turns it into the header and leaves it out of the body.
const DetailRetryAfter = "retry_after_seconds"

// codeStatuses is the one table between error codes and HTTP statuses, read in both directions:
// by the gateway to answer (StatusOf), by the upstream client and the simulator to name an
// upstream status (CodeOf).
var codeStatuses = [...]struct {
	code   string
	status int
}{
	{EValidation, 400},
	{EUnauthorized, 401},
	{EForbidden, 403},
	{ENotFound, 404},
	{EMethodNotAllowed, 405},
	{ENotAcceptable, 406},
	{ERateLimited, 429},
	{EInternal, 500},
	{EUnavailable, 503},
}

// StatusOf is the HTTP status of an error code; an unknown code is a 500.
func StatusOf(code string) int {
	for _, c := range codeStatuses {
		if c.code == code {
			return c.status
		}
	}
	return 500
}

// CodeOf is the error code of an HTTP error status: the table's code for a listed status,
// validation_error for any other 4xx, upstream_unavailable for any other 5xx (502, 504…), and ""
// for a status below 400.
func CodeOf(status int) string {
	for _, c := range codeStatuses {
		if c.status == status {
			return c.code
		}
	}
	switch {
	case status >= 500:
		return EUnavailable
	case status >= 400:
		return EValidation
	}
	return ""
}

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
