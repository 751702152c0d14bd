package hriznsim_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/feedgate/feedgate/upstream/hriznsim"
)

func TestParseKey(t *testing.T) {
	tests := []struct {
		in      string
		want    hriznsim.Key
		wantErr bool
	}{
		{"hzk_r=inventory:read", hriznsim.Key{Key: "hzk_r", Scopes: []string{"inventory:read"}}, false},
		{"hzk_rw=inventory:read,inventory:write", hriznsim.Key{Key: "hzk_rw", Scopes: []string{"inventory:read", "inventory:write"}}, false},
		{"hzk_a=inventory:write@dealer-a", hriznsim.Key{Key: "hzk_a", Scopes: []string{"inventory:write"}, Site: "dealer-a"}, false},
		{"hzk_o=inventory:read@other", hriznsim.Key{Key: "hzk_o", Scopes: []string{"inventory:read"}, Site: "other"}, false},
		{"hzk_secretvalue", hriznsim.Key{}, true},
		{"=inventory:read", hriznsim.Key{}, true},
		{"hzk_secretvalue=inventory:admin", hriznsim.Key{}, true},
		{"hzk_secretvalue=inventory:read@", hriznsim.Key{}, true},
		{"hzk_secretvalue=", hriznsim.Key{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := hriznsim.ParseKey(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "secretvalue") {
					t.Errorf("error %q shows the key", err)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
