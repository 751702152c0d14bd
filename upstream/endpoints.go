package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// MaxListLimit is the largest page the list endpoint serves.
const MaxListLimit = 100

// MaxBatchVINs is the most VINs one batch generate request may carry.
const MaxBatchVINs = 50

// ListParams is one list request: the filters, the cursor from the previous page ("" for the
// first) and the page size (1 to 100; 0 leaves the upstream's default of 25).
type ListParams struct {
	Query  inventory.Query
	Cursor string
	Limit  int
}

// List fetches one page of the vehicle list. A page with a vehicle described badly (a field of
// the wrong type, no VIN) is an error wrapping *BadVehicleError, not retried.
func (c *Client) List(ctx context.Context, p ListParams) (inventory.ListResponse, error) {
	page, err := c.listPage(ctx, p)
	if err == nil && len(page.bad) > 0 {
		err = unavailable(EndpointList, fmt.Errorf("%w: %w", ErrMalformedResponse, page.bad[0]))
	}
	if err != nil {
		return inventory.ListResponse{}, err
	}
	return inventory.ListResponse{Data: page.items, Pagination: page.pagination}, nil
}

// listPage is one list page with each vehicle decoded on its own: the good ones, and the bad
// ones named.
type listPage struct {
	items      []inventory.ListItem
	bad        []*BadVehicleError
	pagination inventory.Pagination
}

// listPage fetches one page of the vehicle list.
func (c *Client) listPage(ctx context.Context, p ListParams) (listPage, error) {
	if p.Limit < 0 || p.Limit > MaxListLimit {
		return listPage{}, invalid(EndpointList, "limit %d is outside 1 to %d", p.Limit, MaxListLimit)
	}
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if p.Query.Make != "" {
		q.Set("make", p.Query.Make)
	}
	if p.Query.Model != "" {
		q.Set("model", p.Query.Model)
	}
	if p.Query.Year != 0 {
		q.Set("year", strconv.Itoa(p.Query.Year))
	}
	if p.Query.Condition != "" {
		q.Set("condition", string(p.Query.Condition))
	}
	var out listPage
	err := c.getJSON(ctx, request{endpoint: EndpointList, path: inventoryPath, query: q}, func(body []byte) error {
		var raw struct {
			Data       *[]json.RawMessage    `json:"data"`
			Pagination *inventory.Pagination `json:"pagination"`
		}
		if err := decodeStrict(body, &raw); err != nil {
			return err
		}
		if raw.Data == nil || raw.Pagination == nil {
			return errors.New("the body lacks data or pagination")
		}
		out = listPage{items: make([]inventory.ListItem, 0, len(*raw.Data)), pagination: *raw.Pagination}
		for _, r := range *raw.Data {
			it, bad := decodeVehicle(EndpointList, r, func(it *inventory.ListItem) string { return it.VIN })
			if bad != nil {
				out.bad = append(out.bad, c.redact(bad))
				continue
			}
			out.items = append(out.items, it)
		}
		return nil
	})
	return out, err
}

// Details fetches one vehicle with every field. A vehicle described badly (a field of the wrong
// type, no VIN) is an error wrapping *BadVehicleError, not retried.
func (c *Client) Details(ctx context.Context, vin string) (inventory.Vehicle, error) {
	path, err := vinPath(EndpointDetails, vin, "")
	if err != nil {
		return inventory.Vehicle{}, err
	}
	var d inventory.Details
	_, err = c.exchange(ctx, request{endpoint: EndpointDetails, method: http.MethodGet, path: path}, func(body []byte) error {
		raw, err := dataObject(body)
		if err != nil {
			return err
		}
		var bad *BadVehicleError
		d, bad = decodeVehicle(EndpointDetails, raw, func(d *inventory.Details) string { return d.VIN })
		if bad != nil {
			if bad.VIN == "" {
				bad.VIN = inventory.NormalizeVIN(vin)
			}
			return c.redact(bad)
		}
		return nil
	})
	if err != nil {
		return inventory.Vehicle{}, err
	}
	return inventory.FromDetails(d), nil
}

// Description fetches a vehicle's AI description and its status.
func (c *Client) Description(ctx context.Context, vin string) (inventory.DescriptionView, error) {
	path, err := vinPath(EndpointDescription, vin, "/description")
	if err != nil {
		return inventory.DescriptionView{}, err
	}
	var d inventory.DescriptionView
	err = c.getData(ctx, request{endpoint: EndpointDescription, path: path}, &d, func() bool { return d.VIN != "" && d.Status != "" })
	return d, err
}

// Feed fetches the whole inventory in one call, format "json" (the default when empty) or
// "xml", and parses it with inventory.ParseFeed; a damaged feed (count mismatch, cut short) is
// retried like any malformed answer. A JSON feed with a vehicle described badly is an error
// wrapping *BadVehicleError, not retried.
func (c *Client) Feed(ctx context.Context, format string) ([]inventory.Vehicle, error) {
	vs, bad, err := c.feed(ctx, format)
	if err == nil && len(bad) > 0 {
		err = unavailable(EndpointFeed, fmt.Errorf("%w: %w", ErrMalformedResponse, bad[0]))
	}
	if err != nil {
		return nil, err
	}
	return vs, nil
}

// feed is Feed with a JSON feed's vehicles decoded one by one: the good ones, and the bad ones
// named. An XML feed is all or nothing.
func (c *Client) feed(ctx context.Context, format string) ([]inventory.Vehicle, []*BadVehicleError, error) {
	accept := "application/json"
	switch format {
	case "", "json":
		format = "json"
	case "xml":
		accept = "application/xml"
	default:
		return nil, nil, invalid(EndpointFeed, "format %q is neither json nor xml", format)
	}
	var (
		out []inventory.Vehicle
		bad []*BadVehicleError
	)
	rq := request{endpoint: EndpointFeed, path: inventoryPath + "/feed", query: url.Values{"format": {format}}, accept: accept}
	err := c.getJSON(ctx, rq, func(body []byte) error {
		out, bad = nil, nil
		if format == "xml" {
			vs, err := inventory.ParseFeed(body)
			out = vs
			return err
		}
		var raw struct {
			Data *struct {
				Count    *int              `json:"count"`
				Vehicles []json.RawMessage `json:"vehicles"`
			} `json:"data"`
		}
		if err := decodeStrict(body, &raw); err != nil {
			return fmt.Errorf("%w: JSON: %w", inventory.ErrNotAFeed, err)
		}
		if raw.Data == nil || raw.Data.Vehicles == nil {
			return fmt.Errorf("%w: JSON has no data.vehicles array", inventory.ErrNotAFeed)
		}
		if raw.Data.Count != nil && *raw.Data.Count != len(raw.Data.Vehicles) {
			return fmt.Errorf("%w: data.count says %d vehicles but %d are present", inventory.ErrNotAFeed,
				*raw.Data.Count, len(raw.Data.Vehicles))
		}
		out = make([]inventory.Vehicle, 0, len(raw.Data.Vehicles))
		for _, r := range raw.Data.Vehicles {
			it, b := decodeVehicle(EndpointFeed, r, func(it *inventory.FeedItem) string { return it.VIN })
			if b != nil {
				bad = append(bad, c.redact(b))
				continue
			}
			out = append(out, inventory.FromFeedItem(it))
		}
		return nil
	})
	return out, bad, err
}

// Stats fetches the inventory summary.
func (c *Client) Stats(ctx context.Context) (inventory.Stats, error) {
	var s inventory.Stats
	err := c.getData(ctx, request{endpoint: EndpointStats, path: inventoryPath + "/stats"}, &s, func() bool { return true })
	return s, err
}

// GenerateDescription asks the upstream to (re)generate a vehicle's description; it answers at
// once with status "generating".
func (c *Client) GenerateDescription(ctx context.Context, vin string) (inventory.GenerateItem, error) {
	path, err := vinPath(EndpointGenerate, vin, "/description")
	if err != nil {
		return inventory.GenerateItem{}, err
	}
	var it inventory.GenerateItem
	rq := request{endpoint: EndpointGenerate, method: http.MethodPost, path: path}
	err = c.dataCall(ctx, rq, &it, func() bool { return it.VIN != "" && it.Status != "" })
	return it, err
}

// GenerateBatch asks for descriptions of 1 to 50 VINs of 11 to 17 characters each, checked
// before anything is sent. Each VIN's outcome is its item's Status ("failed" with Error for one
// the upstream could not take); the call fails only as a whole.
func (c *Client) GenerateBatch(ctx context.Context, vins []string) ([]inventory.GenerateItem, error) {
	if err := ValidateBatch(vins); err != nil {
		// The message quotes the bad VIN; should a caller mix up key and VIN, it must not echo the key.
		var d *inventory.Error
		if errors.As(err, &d) {
			d.Message = strings.ReplaceAll(d.Message, c.key, "[REDACTED]")
		}
		return nil, c.scrub(fmt.Errorf("upstream: %s: %w", EndpointBatch, err))
	}
	body, err := json.Marshal(struct {
		VINs []string `json:"vins"`
	}{vins})
	if err != nil {
		return nil, fmt.Errorf("upstream: %s: encoding the body: %w", EndpointBatch, err)
	}
	var data struct {
		Items []inventory.GenerateItem `json:"items"`
	}
	rq := request{endpoint: EndpointBatch, method: http.MethodPost, path: inventoryPath + "/descriptions/batch", body: body}
	err = c.dataCall(ctx, rq, &data, func() bool { return data.Items != nil })
	return data.Items, err
}

// ValidateBatch checks a batch generate request the way the upstream does: 1 to 50 VINs, each
// of 11 to 17 characters. The error is an *inventory.Error with code validation_error naming the
// count or the first bad VIN.
func ValidateBatch(vins []string) error {
	switch {
	case len(vins) == 0:
		return inventory.Errorf(inventory.EValidation, "vins must hold at least one VIN")
	case len(vins) > MaxBatchVINs:
		return inventory.Errorf(inventory.EValidation, "vins holds %d VINs; at most %d are allowed", len(vins), MaxBatchVINs)
	}
	for i, v := range vins {
		if !inventory.ValidUpstreamVIN(v) {
			return inventory.Errorf(inventory.EValidation, "vins[%d] %q must have %d to %d characters",
				i, v, inventory.MinVINLength, inventory.MaxVINLength)
		}
	}
	return nil
}

// vinPath is the escaped path of a per-vehicle endpoint.
func vinPath(endpoint, vin, suffix string) (string, error) {
	vin = strings.TrimSpace(vin)
	if vin == "" {
		return "", invalid(endpoint, "VIN is required")
	}
	return inventoryPath + "/" + url.PathEscape(vin) + suffix, nil
}

// getJSON is a GET whose 2xx body decode must accept.
func (c *Client) getJSON(ctx context.Context, rq request, decode func([]byte) error) error {
	rq.method = http.MethodGet
	_, err := c.exchange(ctx, rq, decode)
	return err
}

// getData is a GET of a {"data": ...} body into data; ok says whether what arrived is whole.
func (c *Client) getData(ctx context.Context, rq request, data any, ok func() bool) error {
	rq.method = http.MethodGet
	return c.dataCall(ctx, rq, data, ok)
}

// dataObject is the data member of a {"data": ...} body.
func dataObject(body []byte) (json.RawMessage, error) {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := decodeStrict(body, &env); err != nil {
		return nil, err
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return nil, errors.New("the body has no data object")
	}
	return env.Data, nil
}

// dataCall sends rq and decodes its {"data": ...} body into data.
func (c *Client) dataCall(ctx context.Context, rq request, data any, ok func() bool) error {
	_, err := c.exchange(ctx, rq, func(body []byte) error {
		raw, err := dataObject(body)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, data); err != nil {
			return err
		}
		if !ok() {
			return errors.New("the data object lacks required fields")
		}
		return nil
	})
	return err
}

// decodeStrict decodes one JSON value and refuses anything but whitespace after it, so a body
// that two writers garbled is not half-read.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
