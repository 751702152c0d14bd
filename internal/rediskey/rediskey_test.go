package rediskey

import "testing"

func TestKey(t *testing.T) {
	for _, tt := range []struct {
		prefix, owner string
		parts         []string
		want          string
	}{
		{"feedgate:", "sunset", []string{"snap"}, "feedgate:{sunset}:snap"},
		{"fg:", "sunset", []string{"out", "google", "x@1"}, "fg:{sunset}:out:google:x@1"},
		{"", "k", nil, "{k}"},
	} {
		if got := Key(tt.prefix, tt.owner, tt.parts...); got != tt.want {
			t.Errorf("Key(%q, %q, %q) = %q, want %q", tt.prefix, tt.owner, tt.parts, got, tt.want)
		}
	}
}
