package inventory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FeedResponse is the JSON feed endpoint's whole body.
type FeedResponse struct {
	Data FeedData `json:"data"`
}

// FeedData is the inside of FeedResponse.
type FeedData struct {
	Count    int        `json:"count"`
	Vehicles []FeedItem `json:"vehicles"`
}

// WriteFeedJSON writes vehicles as the upstream's JSON feed. It streams one vehicle at a time,
// so a 100,000-vehicle feed never exists twice in memory; the bytes are exactly those of
// encoding the whole FeedResponse with WriteJSON.
func WriteFeedJSON(w io.Writer, vs []Vehicle) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"data":{"count":`)
	bw.WriteString(strconv.Itoa(len(vs)))
	bw.WriteString(`,"vehicles":[`)
	var item bytes.Buffer
	enc := json.NewEncoder(&item)
	enc.SetEscapeHTML(false)
	for i := range vs {
		item.Reset()
		it := vs[i].ToFeedItem()
		if err := enc.Encode(&it); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		// Encode appends a newline; the compact document has none inside.
		bw.Write(bytes.TrimSuffix(item.Bytes(), []byte("\n")))
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}

// xmlVehicle is FeedItem with numbers as text, so that they never come out in exponent form.
type xmlVehicle struct {
	VIN           string  `xml:"vin"`
	Year          string  `xml:"year"`
	Make          string  `xml:"make"`
	Model         string  `xml:"model"`
	Trim          string  `xml:"trim"`
	Condition     string  `xml:"condition"`
	Price         string  `xml:"price,omitempty"`
	Mileage       string  `xml:"mileage,omitempty"`
	ExteriorColor string  `xml:"exterior_color"`
	InteriorColor string  `xml:"interior_color"`
	AIDescription *string `xml:"ai_description"`
	ImageURL      string  `xml:"image_url"`
}

// FormatNumber writes a price or similar number the way the upstream does: no exponent, no
// trailing zeros ("28500", "28500.5").
func FormatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// WriteFeedXML writes vehicles as the upstream's XML feed (application/xml), two-space
// indented under an XML declaration. Text is passed through CleanText first, so characters XML
// forbids are dropped rather than written.
func WriteFeedXML(w io.Writer, vs []Vehicle) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	start := xml.StartElement{Name: xml.Name{Local: "inventory"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "count"}, Value: strconv.Itoa(len(vs))}}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	for i := range vs {
		v := &vs[i]
		x := xmlVehicle{
			VIN: CleanText(v.VIN), Year: strconv.Itoa(v.Year), Make: CleanText(v.Make),
			Model: CleanText(v.Model), Trim: CleanText(v.Trim), Condition: CleanText(string(v.Condition)),
			ExteriorColor: CleanText(v.ExteriorColor), InteriorColor: CleanText(v.InteriorColor),
			ImageURL: CleanText(v.ImageURL),
		}
		if v.Price != nil {
			x.Price = FormatNumber(*v.Price)
		}
		if v.Mileage != nil {
			x.Mileage = strconv.Itoa(*v.Mileage)
		}
		if v.AIDescription != "" {
			d := CleanText(v.AIDescription)
			x.AIDescription = &d
		}
		if err := enc.EncodeElement(x, xml.StartElement{Name: xml.Name{Local: "vehicle"}}); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	if err := bw.WriteByte('\n'); err != nil {
		return err
	}
	return bw.Flush()
}

// ErrNotAFeed is wrapped by ParseFeed's errors for input that is not a Hrizn feed.
var ErrNotAFeed = errors.New("input is not a Hrizn inventory feed")

// ParseFeed reads a Hrizn feed in either of its forms, told apart by the first character: the
// JSON body ({"data":{"count":N,"vehicles":[...]}}) or the XML document (<inventory count="N">).
// A count that disagrees with the vehicles present means a truncated or damaged feed and is an
// error, so that a bad response can never replace a good snapshot.
func ParseFeed(data []byte) ([]Vehicle, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\xef\xbb\xbf"))
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the input is empty", ErrNotAFeed)
	}
	switch trimmed[0] {
	case '{':
		return parseFeedJSON(trimmed)
	case '<':
		return parseFeedXML(trimmed)
	}
	return nil, fmt.Errorf("%w: it starts with %q, neither JSON nor XML", ErrNotAFeed, firstRunes(trimmed, 12))
}

func firstRunes(b []byte, n int) string {
	s := string(b)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func parseFeedJSON(data []byte) ([]Vehicle, error) {
	var body struct {
		Data *struct {
			Count    *int       `json:"count"`
			Vehicles []FeedItem `json:"vehicles"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&body); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrNotAFeed, err)
	}
	if body.Data == nil || body.Data.Vehicles == nil {
		return nil, fmt.Errorf("%w: JSON has no data.vehicles array", ErrNotAFeed)
	}
	if body.Data.Count != nil && *body.Data.Count != len(body.Data.Vehicles) {
		return nil, fmt.Errorf("%w: data.count says %d vehicles but %d are present", ErrNotAFeed,
			*body.Data.Count, len(body.Data.Vehicles))
	}
	out := make([]Vehicle, len(body.Data.Vehicles))
	for i, it := range body.Data.Vehicles {
		if strings.TrimSpace(it.VIN) == "" {
			return nil, fmt.Errorf("%w: vehicle %d has no vin", ErrNotAFeed, i+1)
		}
		out[i] = FromFeedItem(it)
	}
	return out, nil
}

func parseFeedXML(data []byte) ([]Vehicle, error) {
	var doc struct {
		XMLName  xml.Name `xml:"inventory"`
		Count    string   `xml:"count,attr"`
		Vehicles []struct {
			VIN           string  `xml:"vin"`
			Year          string  `xml:"year"`
			Make          string  `xml:"make"`
			Model         string  `xml:"model"`
			Trim          string  `xml:"trim"`
			Condition     string  `xml:"condition"`
			Price         string  `xml:"price"`
			Mileage       string  `xml:"mileage"`
			ExteriorColor string  `xml:"exterior_color"`
			InteriorColor string  `xml:"interior_color"`
			AIDescription *string `xml:"ai_description"`
			ImageURL      string  `xml:"image_url"`
		} `xml:"vehicle"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: XML: %v", ErrNotAFeed, err)
	}
	if doc.Count != "" {
		n, err := strconv.Atoi(strings.TrimSpace(doc.Count))
		if err != nil {
			return nil, fmt.Errorf("%w: the count attribute %q is not a number", ErrNotAFeed, doc.Count)
		}
		if n != len(doc.Vehicles) {
			return nil, fmt.Errorf("%w: count says %d vehicles but %d are present", ErrNotAFeed, n, len(doc.Vehicles))
		}
	}
	out := make([]Vehicle, len(doc.Vehicles))
	for i, x := range doc.Vehicles {
		v := Vehicle{
			VIN: strings.TrimSpace(x.VIN), Make: x.Make, Model: x.Model, Trim: x.Trim,
			Condition: Condition(strings.TrimSpace(x.Condition)), ExteriorColor: x.ExteriorColor,
			InteriorColor: x.InteriorColor, ImageURL: strings.TrimSpace(x.ImageURL),
		}
		if v.VIN == "" {
			return nil, fmt.Errorf("%w: vehicle %d has no vin", ErrNotAFeed, i+1)
		}
		var err error
		if v.Year, err = strconv.Atoi(strings.TrimSpace(x.Year)); err != nil {
			return nil, fmt.Errorf("%w: vehicle %s: year %q is not a number", ErrNotAFeed, v.VIN, x.Year)
		}
		if s := strings.TrimSpace(x.Price); s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: vehicle %s: price %q is not a number", ErrNotAFeed, v.VIN, x.Price)
			}
			v.Price = &f
		}
		if s := strings.TrimSpace(x.Mileage); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%w: vehicle %s: mileage %q is not a whole number", ErrNotAFeed, v.VIN, x.Mileage)
			}
			v.Mileage = &n
		}
		if x.AIDescription != nil {
			v.AIDescription = *x.AIDescription
		}
		out[i] = v
	}
	return out, nil
}
