package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/feedgate/feedgate/inventory"
)

// codeMethodNotAllowed is the code of a 405 (see inventory.EMethodNotAllowed).
const codeMethodNotAllowed = inventory.EMethodNotAllowed

// retryAfterDetail is the Details key through which an *inventory.Error asks for Retry-After.
const retryAfterDetail = inventory.DetailRetryAfter

// writeError answers with err in the upstream's error shape and aborts the chain. The body carries
// only the caller-safe message; the cause stays in the log. 429 and 503 always carry Retry-After:
// the error's own hint when it has one, otherwise fallback.
func writeError(c *gin.Context, err error, fallback time.Duration) {
	code := inventory.ErrorCode(err)
	status := inventory.StatusOf(code)
	body := inventory.ErrorBody{Error: inventory.ErrorDetail{Code: code, Message: inventory.ErrorMessage(err)}}
	var e *inventory.Error
	if errors.As(err, &e) && len(e.Details) > 0 {
		body.Error.Details = make(map[string]any, len(e.Details))
		for k, v := range e.Details {
			if k != retryAfterDetail {
				body.Error.Details[k] = v
			}
		}
		if len(body.Error.Details) == 0 {
			body.Error.Details = nil
		}
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(e, fallback)))
	}
	if status >= 500 {
		_ = c.Error(err) // the access log records the cause
	}
	data, merr := inventory.MarshalJSON(body)
	if merr != nil {
		data = []byte(`{"error":{"code":"internal_error","message":"An internal error occurred."}}` + "\n")
		status = http.StatusInternalServerError
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Length", strconv.Itoa(len(data)))
	c.Status(status)
	c.Header("Content-Type", "application/json; charset=utf-8")
	if c.Request.Method != http.MethodHead {
		_, _ = c.Writer.Write(data)
	}
	c.Abort()
}

func retryAfterSeconds(e *inventory.Error, fallback time.Duration) int {
	if e != nil {
		switch v := e.Details[retryAfterDetail].(type) {
		case int:
			if v > 0 {
				return v
			}
		case float64:
			if v > 0 {
				return int(v + 0.999)
			}
		}
	}
	return max(1, int((fallback+time.Second-1)/time.Second))
}

// errorf is inventory.Errorf with details, for the gateway's own refusals.
func errorf(code string, details map[string]any, format string, args ...any) *inventory.Error {
	e := inventory.Errorf(code, format, args...)
	e.Details = details
	return e
}
