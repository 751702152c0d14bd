package upstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/feedgate/feedgate/inventory"
)

// ErrBadVehicle means the upstream described one vehicle badly: a field of the wrong type, no
// VIN, a details answer for another VIN. errors.As finds the *BadVehicleError naming it. A sync
// quarantines such a vehicle instead of failing; a single call returns the error, unretried
// (asking again gives the same answer).
var ErrBadVehicle = errors.New("upstream: a vehicle is described badly")

// ErrTooManyBadVehicles means more than MaxQuarantinePercent of a sync's vehicles were described
// badly: the upstream is broken rather than one record, and the sync fails as a whole.
var ErrTooManyBadVehicles = errors.New("upstream: too many vehicles are described badly")

// MaxQuarantinePercent is the share of a sync's vehicles that may be quarantined before the sync
// fails as a whole (at least one vehicle is always allowed).
const MaxQuarantinePercent = 10

// BadVehicleError names a vehicle the upstream described badly and what was wrong with it.
type BadVehicleError struct {
	// Endpoint is where the vehicle came from: list, details or feed.
	Endpoint string
	// VIN is the vehicle's VIN, "" when the upstream sent none that could be read.
	VIN string
	// Field is the JSON field at fault ("year", "price", "vin"), "" when it is the whole record.
	Field string
	// Reason says what was wrong, in words.
	Reason string
}

// Error names the endpoint, the VIN, the field and the reason.
func (e *BadVehicleError) Error() string {
	vin := e.VIN
	if vin == "" {
		vin = "without a VIN"
	}
	if e.Field == "" {
		return fmt.Sprintf("upstream: %s: vehicle %s: %s", e.Endpoint, vin, e.Reason)
	}
	return fmt.Sprintf("upstream: %s: vehicle %s: field %q: %s", e.Endpoint, vin, e.Field, e.Reason)
}

// Unwrap is ErrBadVehicle.
func (e *BadVehicleError) Unwrap() error { return ErrBadVehicle }

// How a sync kept a quarantined vehicle, in Quarantined.Kept.
const (
	// KeptNone means the vehicle is not in the snapshot.
	KeptNone = "none"
	// KeptPrevious means the snapshot holds the vehicle as the previous snapshot had it.
	KeptPrevious = "previous"
	// KeptFeed means the snapshot holds the feed's view of the vehicle (a feed sync whose
	// details call for it failed), without the details-only fields.
	KeptFeed = "feed"
)

// Quarantined is one vehicle a sync kept out of its snapshot, or at its last good state, because
// the upstream described it badly.
type Quarantined struct {
	VIN      string `json:"vin"`
	Endpoint string `json:"endpoint"`
	Field    string `json:"field,omitempty"`
	Reason   string `json:"reason"`
	// Kept is KeptNone, KeptPrevious or KeptFeed.
	Kept string `json:"kept"`
}

// decodeVehicle decodes one vehicle of an answer on its own, so that one bad record cannot
// spoil the others. vin reads the decoded VIN; a record without one is bad too.
func decodeVehicle[T any](endpoint string, raw json.RawMessage, vin func(*T) string) (T, *BadVehicleError) {
	var v T
	err := json.Unmarshal(raw, &v)
	if err == nil {
		if strings.TrimSpace(vin(&v)) == "" {
			return v, &BadVehicleError{Endpoint: endpoint, Field: "vin", Reason: "the record has no VIN"}
		}
		return v, nil
	}
	bad := &BadVehicleError{Endpoint: endpoint, VIN: rawVIN(raw)}
	bad.Field, bad.Reason = badField[T](raw, err)
	return v, bad
}

// rawVIN is the record's vin if it is a string, upper-cased; "" otherwise.
func rawVIN(raw json.RawMessage) string {
	var r struct {
		VIN any `json:"vin"`
	}
	if json.Unmarshal(raw, &r) == nil {
		if s, ok := r.VIN.(string); ok {
			return inventory.NormalizeVIN(s)
		}
	}
	return ""
}

// badField finds the first field (in name order) that will not decode into T on its own, and
// says why; err is the whole record's error, used when no single field is at fault.
func badField[T any](raw json.RawMessage, err error) (field, reason string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return "", "the record is not a JSON object"
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[name]})
		var v T
		if ferr := json.Unmarshal(one, &v); ferr != nil {
			return name, describe(fields[name], ferr)
		}
	}
	return "", err.Error()
}

// describe says what is wrong with one field's value, showing the start of the value unless it
// looks like an API key (feedgate's fgk_ or the upstream's hzk_): a reason is logged and shown.
func describe(value json.RawMessage, err error) string {
	shown := bodySnippet(bytes.TrimSpace(value))
	if l := strings.ToLower(shown); strings.Contains(l, "hzk_") || strings.Contains(l, "fgk_") {
		shown = "a value shaped like an API key"
	}
	if len(shown) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s, want %s", shown, te.Value, te.Type)
	}
	return fmt.Sprintf("%s: %v", shown, err)
}

// redact returns bad with the client's key replaced in its VIN and reason, whatever shape the
// key has: a bad record is logged and shown in status.
func (c *Client) redact(bad *BadVehicleError) *BadVehicleError {
	b := *bad
	b.VIN = strings.ReplaceAll(b.VIN, strings.ToUpper(c.key), "[REDACTED]")
	b.VIN = strings.ReplaceAll(b.VIN, c.key, "[REDACTED]")
	b.Reason = strings.ReplaceAll(b.Reason, c.key, "[REDACTED]")
	return &b
}

// quarantine collects a sync's bad vehicles; safe for concurrent use by details calls.
type quarantine struct {
	mu   sync.Mutex
	list []Quarantined
}

// keep records bad and returns the vehicle the snapshot keeps in its place: prev's (a copy),
// else fallback, else nil.
func (q *quarantine) keep(bad *BadVehicleError, prev map[string]*inventory.Vehicle, fallback *inventory.Vehicle) *inventory.Vehicle {
	rec := Quarantined{VIN: bad.VIN, Endpoint: bad.Endpoint, Field: bad.Field, Reason: bad.Reason, Kept: KeptNone}
	var v *inventory.Vehicle
	if pv, ok := prev[bad.VIN]; ok && bad.VIN != "" {
		c := pv.Clone()
		v, rec.Kept = &c, KeptPrevious
	} else if fallback != nil {
		v, rec.Kept = fallback, KeptFeed
	}
	q.mu.Lock()
	q.list = append(q.list, rec)
	q.mu.Unlock()
	return v
}

// result is the quarantined vehicles sorted by VIN, nil for none.
func (q *quarantine) result() []Quarantined {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.list) == 0 {
		return nil
	}
	out := slices.Clone(q.list)
	slices.SortFunc(out, func(a, b Quarantined) int { return strings.Compare(a.VIN, b.VIN) })
	return out
}

// check fails when more than MaxQuarantinePercent of total vehicles (at least one) are bad.
func (q *quarantine) check(total int) error {
	list := q.result()
	allowed := max(1, total*MaxQuarantinePercent/100)
	if len(list) <= allowed {
		return nil
	}
	first := list[0]
	return unavailable("sync", fmt.Errorf("%w: %d of %d vehicles (more than %d%%), e.g. %s %s: %s",
		ErrTooManyBadVehicles, len(list), total, MaxQuarantinePercent, first.VIN, first.Field, first.Reason))
}

// asBadVehicle reports whether err from a details call for vin is the vehicle's fault rather than
// the upstream's: a record described badly, or a 404 for a VIN the list or feed just showed.
func asBadVehicle(err error, vin string) (*BadVehicleError, bool) {
	var bad *BadVehicleError
	if errors.As(err, &bad) {
		b := *bad
		if b.VIN == "" {
			b.VIN = vin
		}
		return &b, true
	}
	var api *APIError
	if errors.As(err, &api) && api.Status == 404 {
		return &BadVehicleError{Endpoint: EndpointDetails, VIN: vin,
			Reason: "the details call answered HTTP 404 though the inventory lists the vehicle"}, true
	}
	return nil, false
}
