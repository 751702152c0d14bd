package hriznsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/feedgate/feedgate/inventory"
)

// The endpoint handlers. Each renders its whole answer into a response before anything is
// written, so that a fault can mangle it and a failed render becomes a clean 500.

const notFoundMessage = "Vehicle not found or belongs to a different site"

// maxBody bounds a request body; a batch of 50 VINs needs about 1 KB.
const maxBody = 1 << 20

type dataBody struct {
	Data any `json:"data"`
}

func (s *Server) list(site string, r *http.Request, lf listFaults, vf vehicleFaults) *response {
	q := r.URL.Query()
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return validation("limit", "limit must be an integer between 1 and 100")
		}
		limit = n
	}
	query := inventory.Query{Make: q.Get("make"), Model: q.Get("model")}
	if v := q.Get("year"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return validation("year", "year must be an integer")
		}
		query.Year = n
	}
	if v := q.Get("condition"); v != "" {
		c := inventory.Condition(strings.ToLower(v))
		if c != inventory.New && c != inventory.Used {
			return validation("condition", "condition must be new or used")
		}
		query.Condition = c
	}
	vs := s.read(site)
	cursor := q.Get("cursor")
	if lf.churn > 0 {
		cursor = "" // a churning list starts over on every page, whatever it is handed
	}
	page, err := inventory.List(vs, query, cursor, limit)
	if err != nil {
		return validation("cursor", "cursor must be the base64-encoded cursor of a previous response")
	}
	switch {
	case lf.churn > 0:
		page.HasMore = true
		page.NextCursor = base64.StdEncoding.EncodeToString([]byte("churn-" + strconv.Itoa(lf.churn)))
	case lf.stopEarly && page.HasMore:
		page.HasMore, page.NextCursor = false, ""
	}
	if lf.total > 0 {
		page.TotalCount = lf.total
	}
	out := inventory.ListResponse{
		Data: make([]inventory.ListItem, len(page.Items)),
		Pagination: inventory.Pagination{
			HasMore:    page.HasMore,
			TotalCount: page.TotalCount,
		},
	}
	for i := range page.Items {
		out.Data[i] = page.Items[i].ToListItem()
	}
	if page.NextCursor != "" {
		out.Pagination.NextCursor = &page.NextCursor
	}
	if bad := firstVINs(vs, vf.badTypes); len(bad) > 0 {
		raw := struct {
			Data       []json.RawMessage    `json:"data"`
			Pagination inventory.Pagination `json:"pagination"`
		}{make([]json.RawMessage, len(out.Data)), out.Pagination}
		for i := range out.Data {
			raw.Data[i] = breakTypes(out.Data[i], bad, out.Data[i].VIN)
		}
		return jsonResponse(http.StatusOK, raw)
	}
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) details(site, vin string, vf vehicleFaults) *response {
	v, resp := s.lookup(site, vin)
	if resp != nil {
		return resp
	}
	if vf != (vehicleFaults{}) {
		vs := s.read(site)
		if _, ok := firstVINs(vs, vf.notFound)[v.VIN]; ok {
			return errorResponse(http.StatusNotFound, inventory.ENotFound, notFoundMessage, nil)
		}
		if k, ok := firstVINs(vs, vf.wrongVIN)[v.VIN]; ok && len(vs) > 1 {
			w := vs[(k+1)%len(vs)]
			v = &w
		}
		if bad := firstVINs(vs, vf.badTypes); len(bad) > 0 {
			return jsonResponse(http.StatusOK, dataBody{breakTypes(v.ToDetails(), bad, v.VIN)})
		}
	}
	return jsonResponse(http.StatusOK, dataBody{v.ToDetails()})
}

// firstVINs maps the first n listed VINs of vs to their positions: the vehicles a per-vehicle
// fault hits.
func firstVINs(vs []inventory.Vehicle, n int) map[string]int {
	n = min(n, len(vs))
	if n <= 0 {
		return nil
	}
	m := make(map[string]int, n)
	for i := range vs[:n] {
		m[vs[i].VIN] = i
	}
	return m
}

// breakTypes encodes v, and when vin is one of bad gives it a field of the wrong JSON type: the
// year as a word for even positions, the price as a string for odd ones.
func breakTypes(v any, bad map[string]int, vin string) json.RawMessage {
	b, err := inventory.MarshalJSON(v)
	if err != nil {
		return json.RawMessage("null")
	}
	k, ok := bad[vin]
	if !ok {
		return bytes.TrimSpace(b)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&m) != nil {
		return bytes.TrimSpace(b)
	}
	switch p, isNum := m["price"].(json.Number); {
	case k%2 == 0:
		m["year"] = "twenty"
	case isNum:
		m["price"] = p.String()
	default:
		m["price"] = "call for price"
	}
	b, _ = inventory.MarshalJSON(m)
	return bytes.TrimSpace(b)
}

func (s *Server) description(site, vin string) *response {
	v, resp := s.lookup(site, vin)
	if resp != nil {
		return resp
	}
	return jsonResponse(http.StatusOK, dataBody{v.ToDescriptionView()})
}

// lookup finds a vehicle of the site, or returns the 400 or 404 to send.
func (s *Server) lookup(site, vin string) (*inventory.Vehicle, *response) {
	if strings.TrimSpace(vin) == "" {
		return nil, validation("vin", "VIN is required")
	}
	v, ok := s.find(site, vin)
	if !ok {
		return nil, errorResponse(http.StatusNotFound, inventory.ENotFound, notFoundMessage, nil)
	}
	return v, nil
}

func (s *Server) feed(site string, r *http.Request, vf vehicleFaults) *response {
	format := strings.ToLower(r.URL.Query().Get("format"))
	var (
		buf   bytes.Buffer
		err   error
		ctype string
	)
	switch format {
	case "", "json":
		ctype = "application/json"
		vs := s.read(site)
		if bad := firstVINs(vs, vf.badTypes); len(bad) > 0 {
			var body struct {
				Data struct {
					Count    int               `json:"count"`
					Vehicles []json.RawMessage `json:"vehicles"`
				} `json:"data"`
			}
			body.Data.Count = len(vs)
			for i := range vs {
				body.Data.Vehicles = append(body.Data.Vehicles, breakTypes(vs[i].ToFeedItem(), bad, vs[i].VIN))
			}
			err = inventory.WriteJSON(&buf, body)
		} else {
			err = inventory.WriteFeedJSON(&buf, vs)
		}
	case "xml":
		ctype = "application/xml"
		err = inventory.WriteFeedXML(&buf, s.read(site))
	default:
		return validation("format", "format must be json or xml")
	}
	if err != nil {
		return internalError()
	}
	resp := newResponse(http.StatusOK, buf.Bytes())
	resp.header.Set("Content-Type", ctype)
	return resp
}

func (s *Server) stats(site string) *response {
	return jsonResponse(http.StatusOK, dataBody{inventory.ComputeStats(s.read(site))})
}

func (s *Server) generate(site, vin string) *response {
	if strings.TrimSpace(vin) == "" {
		return validation("vin", "VIN is required")
	}
	items := s.startGeneration(site, []string{vin})
	if items[0].Status == inventory.DescriptionFailed {
		return errorResponse(http.StatusNotFound, inventory.ENotFound, notFoundMessage, nil)
	}
	items[0].VIN = inventory.NormalizeVIN(vin)
	return jsonResponse(http.StatusAccepted, dataBody{items[0]})
}

// batchRequest is the batch endpoint's body.
type batchRequest struct {
	VINs []string `json:"vins"`
}

// batchLimit is the most VINs one batch may carry.
const batchLimit = 50

func (s *Server) batch(site string, r *http.Request) *response {
	var req batchRequest
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		return validation("vins", "request body must be a JSON object with a vins array")
	}
	if len(req.VINs) == 0 || len(req.VINs) > batchLimit {
		return validation("vins", "vins must hold between 1 and 50 VINs")
	}
	for i, vin := range req.VINs {
		if !inventory.ValidUpstreamVIN(strings.TrimSpace(vin)) {
			return validation("vins", "vins["+strconv.Itoa(i)+"] must be a VIN of 11 to 17 characters")
		}
	}
	items := s.startGeneration(site, req.VINs)
	return jsonResponse(http.StatusAccepted, dataBody{struct {
		Items []inventory.GenerateItem `json:"items"`
	}{items}})
}

// response is a whole answer, rendered before it is written.
type response struct {
	status int
	header http.Header
	body   []byte
}

func newResponse(status int, body []byte) *response {
	return &response{status: status, header: http.Header{}, body: body}
}

func (resp *response) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func jsonResponse(status int, v any) *response {
	b, err := inventory.MarshalJSON(v)
	if err != nil {
		return internalError()
	}
	resp := newResponse(status, b)
	resp.header.Set("Content-Type", "application/json")
	return resp
}

func errorResponse(status int, code, message string, details map[string]any) *response {
	return jsonResponse(status, inventory.ErrorBody{Error: inventory.ErrorDetail{
		Code: code, Message: message, Details: details,
	}})
}

func validation(param, message string) *response {
	return errorResponse(http.StatusBadRequest, inventory.EValidation, message,
		map[string]any{"parameter": param})
}

func internalError() *response {
	resp := newResponse(http.StatusInternalServerError,
		[]byte(`{"error":{"code":"internal_error","message":"Internal server error"}}`+"\n"))
	resp.header.Set("Content-Type", "application/json")
	return resp
}
