package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
)

// Sentinel causes, reachable with errors.Is through the errors the client returns.
var (
	// ErrBodyTooLarge means a response body passed Options.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("upstream: response body too large")
	// ErrMalformedResponse means a 2xx body that is not the documented shape.
	ErrMalformedResponse = errors.New("upstream: malformed response body")
	// ErrRepeatedCursor means a list walk was handed a cursor it had already followed.
	ErrRepeatedCursor = errors.New("upstream: the list repeated a cursor")
	// ErrTooManyPages means a list walk went on past any page count its total_count allows.
	ErrTooManyPages = errors.New("upstream: the list returned more pages than its total_count allows")
)

// APIError is an answer the upstream gave with a non-2xx status. Its Unwrap is the domain
// error (*inventory.Error) with the matching code, so inventory.ErrorCode works on it.
type APIError struct {
	// Endpoint is the endpoint name (list, details, ...).
	Endpoint string
	// Status is the HTTP status.
	Status int
	// Code and Message come from the upstream's {"error":{...}} body, or are derived from the
	// status when the body has another shape.
	Code, Message string
	// RequiredScopes is the 403 body's details.required_scopes.
	RequiredScopes []string
	// RetryAfter is the parsed Retry-After header (0 if absent).
	RetryAfter time.Duration
}

// Error describes the answer: endpoint, status, code and message; it never holds the key.
func (e *APIError) Error() string {
	s := fmt.Sprintf("upstream: %s: HTTP %d %s: %s", e.Endpoint, e.Status, e.Code, e.Message)
	if len(e.RequiredScopes) > 0 {
		s += " (required scopes: " + strings.Join(e.RequiredScopes, ", ") + ")"
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// Unwrap is the domain error for the status: 401 unauthorized, 403 forbidden (with
// required_scopes), 404 not_found, other 4xx validation_error, 429 rate_limited, anything
// else upstream_unavailable.
func (e *APIError) Unwrap() error {
	d := &inventory.Error{Code: DomainCode(e.Status), Message: e.Message}
	switch d.Code {
	case inventory.EForbidden:
		if len(e.RequiredScopes) > 0 {
			d.Details = map[string]any{"required_scopes": append([]string(nil), e.RequiredScopes...)}
		}
	case inventory.ERateLimited:
		if e.RetryAfter > 0 {
			d.Details = map[string]any{inventory.DetailRetryAfter: int((e.RetryAfter + time.Second - 1) / time.Second)}
		}
	case inventory.EUnavailable:
		// The upstream's own 5xx text describes its internals, not something our caller can act on.
		d.Message = "The inventory service is unavailable; try again later."
	}
	return d
}

// DomainCode maps an upstream HTTP status to an inventory error code, by inventory's one table,
// with one reading of our own: any upstream 5xx (its own internal_error included) is
// upstream_unavailable to feedgate's callers, since it is the upstream that failed, not us.
func DomainCode(status int) string {
	if status >= 500 {
		return inventory.EUnavailable
	}
	if code := inventory.CodeOf(status); code != "" {
		return code
	}
	return inventory.EUnavailable
}

// parseAPIError builds the APIError for a non-2xx response.
func parseAPIError(endpoint string, r *response, retryAfter time.Duration) *APIError {
	e := &APIError{Endpoint: endpoint, Status: r.status, RetryAfter: retryAfter}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details struct {
				RequiredScopes []string `json:"required_scopes"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(r.body, &body) == nil && body.Error != nil {
		e.Code, e.Message = body.Error.Code, body.Error.Message
		e.RequiredScopes = body.Error.Details.RequiredScopes
	}
	if e.Code == "" {
		e.Code = DomainCode(r.status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(r.status)
		if snippet := bodySnippet(r.body); snippet != "" {
			e.Message += ": " + snippet
		}
	}
	return e
}

// bodySnippet is the start of a body that is not the error shape, printable and short.
func bodySnippet(b []byte) string {
	const max = 120
	s := strings.TrimSpace(strings.ToValidUTF8(string(b[:min(len(b), 4*max)]), ""))
	s = strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// unavailable wraps a failure that is not an upstream answer (a transport error, a timeout, a
// malformed or oversized body) so that inventory.ErrorCode reports upstream_unavailable.
func unavailable(endpoint string, cause error) error {
	return fmt.Errorf("upstream: %s: %w", endpoint, &inventory.Error{
		Code:    inventory.EUnavailable,
		Message: "The inventory service is unavailable; try again later.",
		Err:     cause,
	})
}

// invalid is a request the client refuses to send.
func invalid(endpoint, format string, args ...any) error {
	return fmt.Errorf("upstream: %s: %w", endpoint, inventory.Errorf(inventory.EValidation, format, args...))
}

// redactedError hides the API key should it ever reach an error's text (a transport error
// quoting a URL someone built with the key in it, a body echoing the request). It keeps the
// redacted text, not the key.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

// scrub returns err, wrapped so that its text can never show the key.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !strings.Contains(msg, c.key) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(msg, c.key, "[REDACTED]"), err: err}
}
