package inventory

import (
	"bytes"
	"encoding/json"
	"io"
	"time"
)

// The wire views below reproduce the upstream's response shapes field for field and in the
// documented order. The simulator, the drop-in API and the json/xml output formats all encode
// through them, so their answers cannot drift apart.

// ListItem is one element of the list endpoint's data array.
type ListItem struct {
	VIN            string    `json:"vin"`
	Year           int       `json:"year"`
	Make           string    `json:"make"`
	Model          string    `json:"model"`
	Trim           string    `json:"trim"`
	Condition      Condition `json:"condition"`
	Price          *float64  `json:"price"`
	Mileage        *int      `json:"mileage"`
	ExteriorColor  string    `json:"exterior_color"`
	InteriorColor  string    `json:"interior_color"`
	HasDescription bool      `json:"has_description"`
	ImageURL       string    `json:"image_url"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Details is the vehicle details endpoint's data object.
type Details struct {
	VIN               string    `json:"vin"`
	Year              int       `json:"year"`
	Make              string    `json:"make"`
	Model             string    `json:"model"`
	Trim              string    `json:"trim"`
	Condition         Condition `json:"condition"`
	Price             *float64  `json:"price"`
	MSRP              *float64  `json:"msrp"`
	Mileage           *int      `json:"mileage"`
	ExteriorColor     string    `json:"exterior_color"`
	InteriorColor     string    `json:"interior_color"`
	Engine            string    `json:"engine"`
	Transmission      string    `json:"transmission"`
	Drivetrain        string    `json:"drivetrain"`
	FuelType          string    `json:"fuel_type"`
	BodyStyle         string    `json:"body_style"`
	Features          []string  `json:"features"`
	ImageURL          string    `json:"image_url"`
	Images            []string  `json:"images"`
	AIDescription     *string   `json:"ai_description"`
	DescriptionStatus string    `json:"description_status"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// FeedItem is one vehicle of the feed endpoint, in JSON and (with the same names) in XML.
type FeedItem struct {
	VIN           string    `json:"vin" xml:"vin"`
	Year          int       `json:"year" xml:"year"`
	Make          string    `json:"make" xml:"make"`
	Model         string    `json:"model" xml:"model"`
	Trim          string    `json:"trim" xml:"trim"`
	Condition     Condition `json:"condition" xml:"condition"`
	Price         *float64  `json:"price" xml:"price,omitempty"`
	Mileage       *int      `json:"mileage" xml:"mileage,omitempty"`
	ExteriorColor string    `json:"exterior_color" xml:"exterior_color"`
	InteriorColor string    `json:"interior_color" xml:"interior_color"`
	AIDescription *string   `json:"ai_description" xml:"ai_description,omitempty"`
	ImageURL      string    `json:"image_url" xml:"image_url"`
}

// DescriptionView is the get-description endpoint's data object.
type DescriptionView struct {
	VIN         string     `json:"vin"`
	Status      string     `json:"status"`
	Description *string    `json:"description"`
	GeneratedAt *time.Time `json:"generated_at"`
}

// GenerateItem is one VIN's answer from the generate endpoints.
type GenerateItem struct {
	VIN    string `json:"vin"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Pagination is the list endpoint's pagination object.
type Pagination struct {
	HasMore    bool    `json:"has_more"`
	NextCursor *string `json:"next_cursor"`
	TotalCount int     `json:"total_count"`
}

// ListResponse is the list endpoint's whole body.
type ListResponse struct {
	Data       []ListItem `json:"data"`
	Pagination Pagination `json:"pagination"`
}

// ErrorBody is the upstream's error shape, which feedgate's own errors share.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// ToListItem is v as the list endpoint shows it.
func (v *Vehicle) ToListItem() ListItem {
	return ListItem{
		VIN: v.VIN, Year: v.Year, Make: v.Make, Model: v.Model, Trim: v.Trim,
		Condition: v.Condition, Price: v.Price, Mileage: v.Mileage,
		ExteriorColor: v.ExteriorColor, InteriorColor: v.InteriorColor,
		HasDescription: v.HasDescription(), ImageURL: v.ImageURL, UpdatedAt: v.UpdatedAt.UTC(),
	}
}

// ToDetails is v as the details endpoint shows it.
func (v *Vehicle) ToDetails() Details {
	d := Details{
		VIN: v.VIN, Year: v.Year, Make: v.Make, Model: v.Model, Trim: v.Trim,
		Condition: v.Condition, Price: v.Price, MSRP: v.MSRP, Mileage: v.Mileage,
		ExteriorColor: v.ExteriorColor, InteriorColor: v.InteriorColor,
		Engine: v.Engine, Transmission: v.Transmission, Drivetrain: v.Drivetrain,
		FuelType: v.FuelType, BodyStyle: v.BodyStyle,
		Features: nonNil(v.Features), ImageURL: v.ImageURL, Images: nonNil(v.Images),
		DescriptionStatus: v.descriptionStatus(),
		CreatedAt:         v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
	if v.AIDescription != "" {
		d.AIDescription = &v.AIDescription
	}
	return d
}

// ToFeedItem is v as the feed endpoint shows it.
func (v *Vehicle) ToFeedItem() FeedItem {
	f := FeedItem{
		VIN: v.VIN, Year: v.Year, Make: v.Make, Model: v.Model, Trim: v.Trim,
		Condition: v.Condition, Price: v.Price, Mileage: v.Mileage,
		ExteriorColor: v.ExteriorColor, InteriorColor: v.InteriorColor, ImageURL: v.ImageURL,
	}
	if v.AIDescription != "" {
		f.AIDescription = &v.AIDescription
	}
	return f
}

// ToDescriptionView is v's description as the get-description endpoint shows it.
func (v *Vehicle) ToDescriptionView() DescriptionView {
	d := DescriptionView{VIN: v.VIN, Status: v.descriptionStatus()}
	if v.AIDescription != "" && d.Status == DescriptionCompleted {
		d.Description = &v.AIDescription
		if v.DescriptionGeneratedAt != nil {
			t := v.DescriptionGeneratedAt.UTC()
			d.GeneratedAt = &t
		} else {
			t := v.UpdatedAt.UTC()
			d.GeneratedAt = &t
		}
	}
	return d
}

func (v *Vehicle) descriptionStatus() string {
	if v.DescriptionStatus != "" {
		return v.DescriptionStatus
	}
	if v.AIDescription != "" {
		return DescriptionCompleted
	}
	return DescriptionNotGenerated
}

// FromListItem is the vehicle a list item describes (without the details-only fields).
func FromListItem(it ListItem) Vehicle {
	return Vehicle{
		VIN: it.VIN, Year: it.Year, Make: it.Make, Model: it.Model, Trim: it.Trim,
		Condition: it.Condition, Price: it.Price, Mileage: it.Mileage,
		ExteriorColor: it.ExteriorColor, InteriorColor: it.InteriorColor,
		HasDescriptionFlag: it.HasDescription, ImageURL: it.ImageURL, UpdatedAt: it.UpdatedAt,
	}
}

// FromDetails is the vehicle a details response describes.
func FromDetails(d Details) Vehicle {
	v := Vehicle{
		VIN: d.VIN, Year: d.Year, Make: d.Make, Model: d.Model, Trim: d.Trim,
		Condition: d.Condition, Price: d.Price, MSRP: d.MSRP, Mileage: d.Mileage,
		ExteriorColor: d.ExteriorColor, InteriorColor: d.InteriorColor,
		Engine: d.Engine, Transmission: d.Transmission, Drivetrain: d.Drivetrain,
		FuelType: d.FuelType, BodyStyle: d.BodyStyle, Features: d.Features,
		ImageURL: d.ImageURL, Images: d.Images, DescriptionStatus: d.DescriptionStatus,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.AIDescription != nil {
		v.AIDescription = *d.AIDescription
	}
	return v
}

// FromFeedItem is the vehicle a feed item describes.
func FromFeedItem(f FeedItem) Vehicle {
	v := Vehicle{
		VIN: f.VIN, Year: f.Year, Make: f.Make, Model: f.Model, Trim: f.Trim,
		Condition: f.Condition, Price: f.Price, Mileage: f.Mileage,
		ExteriorColor: f.ExteriorColor, InteriorColor: f.InteriorColor, ImageURL: f.ImageURL,
	}
	if f.AIDescription != nil {
		v.AIDescription = *f.AIDescription
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSON encodes v compactly, without HTML escaping (the upstream's API is not HTML), and
// with a trailing newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// MarshalJSON is WriteJSON into a byte slice.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := WriteJSON(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
