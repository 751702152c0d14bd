package gateway

import (
	"net/http/httptest"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip, deflate, br", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=0.001", true},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"identity", false},
		{"br;q=1, gzip;q=0.5, identity;q=0.8", false},
		{"gzip;q=0.8, identity;q=0.8", true},
		{"gzip;q=bogus", true},
		{"deflate", false},
	}
	for _, tt := range tests {
		if got := acceptsGzip(tt.header); got != tt.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestETagMatches(t *testing.T) {
	const cur = `"abc"`
	tests := []struct {
		header string
		want   bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`*`, true},
		{` "x" , W/"abc"`, true},
		{`"a,b", "abc"`, true},
		{`"a,b"`, false},
		{`"abcd"`, false},
		{`abc`, false},
		{`"abc`, false},
		{``, false},
		{`garbage, "abc"`, true},
	}
	for _, tt := range tests {
		if got := etagMatches(tt.header, cur); got != tt.want {
			t.Errorf("etagMatches(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestAcceptable(t *testing.T) {
	tests := []struct {
		header, ct string
		want       bool
	}{
		{"", "text/csv", true},
		{"*/*", "text/csv", true},
		{"text/*", "text/csv; charset=utf-8", true},
		{"application/json", "text/csv", false},
		{"application/json, */*;q=0.1", "text/csv", true},
		{"text/csv;q=0", "text/csv", false},
		{"nonsense", "text/csv", true},
	}
	for _, tt := range tests {
		if got := acceptable(tt.header, tt.ct); got != tt.want {
			t.Errorf("acceptable(%q, %q) = %v, want %v", tt.header, tt.ct, got, tt.want)
		}
	}
}

func TestPresentedKey(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		header     [2]string
		allowQuery bool
		want       string
	}{
		{"x-api-key", "/", [2]string{"X-API-Key", " k1 "}, false, "k1"},
		{"bearer", "/", [2]string{"Authorization", "Bearer k2"}, false, "k2"},
		{"bearer lower case", "/", [2]string{"Authorization", "bearer k2"}, false, "k2"},
		{"basic", "/", [2]string{"Authorization", "Basic dXNlcjprMw=="}, false, "k3"},
		{"query allowed", "/?key=k4", [2]string{}, true, "k4"},
		{"query not allowed", "/?key=k4", [2]string{}, false, ""},
		{"header wins over query", "/?key=k4", [2]string{"X-API-Key", "k1"}, true, "k1"},
		{"nothing", "/", [2]string{}, true, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		if tt.header[0] != "" {
			r.Header.Set(tt.header[0], tt.header[1])
		}
		if got := presentedKey(r, tt.allowQuery); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSaneRequestID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc-123": true, "0f8e:1.2_x": true, "": false, "a b": false, "x\ny": false, `{"a"}`: false,
		string(make([]byte, 129)): false,
	} {
		if got := saneRequestID(id); got != want {
			t.Errorf("saneRequestID(%q) = %v", id, got)
		}
	}
}
