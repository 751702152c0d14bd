package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		key, hash, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidKeyFormat(key) {
			t.Fatalf("NewKey made %q, which ValidKeyFormat refuses", key)
		}
		if hash != HashKey(key) {
			t.Fatalf("hash %q is not HashKey(key)", hash)
		}
		if !hashRE.MatchString(hash) {
			t.Fatalf("hash %q is not a hash the config accepts", hash)
		}
		if seen[key] {
			t.Fatalf("NewKey repeated %q", key)
		}
		seen[key] = true
	}
}

func TestNewKeyRejectsBiasedBytes(t *testing.T) {
	// Bytes 248..255 would favour the first four characters; they must be skipped, not folded.
	var src bytes.Buffer
	for i := 0; i < 64; i++ {
		src.WriteByte(byte(248 + i%8))
	}
	for i := 0; i < 64; i++ {
		src.WriteByte(byte(i))
	}
	key, err := newKey(&src)
	if err != nil {
		t.Fatal(err)
	}
	if want := "fgk_" + base62[:32]; key != want {
		t.Errorf("newKey = %q, want %q", key, want)
	}
	if _, err := newKey(strings.NewReader("short")); err == nil || !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("a failing random source: err = %v", err)
	}
}

func TestHashKey(t *testing.T) {
	// sha256("abc") from FIPS 180-2.
	if got, want := HashKey("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashKey = %q, want %q", got, want)
	}
}

func TestValidKeyFormat(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"fgk_0123456789ABCDEFGHIJabcdefghijkl", true},
		{"fgk_0123456789ABCDEFGHIJabcdefghijk", false},   // 31
		{"fgk_0123456789ABCDEFGHIJabcdefghijklm", false}, // 33
		{"fgk_0123456789ABCDEFGHIJabcdefghij-l", false},
		{"hzk_0123456789ABCDEFGHIJabcdefghijkl", false},
		{"FGK_0123456789ABCDEFGHIJabcdefghijkl", false},
		{"", false},
	} {
		if got := ValidKeyFormat(tc.key); got != tc.want {
			t.Errorf("ValidKeyFormat(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}
