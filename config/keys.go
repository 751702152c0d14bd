package config

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// KeyPrefix starts every feedgate API key, so a leaked key is recognisable (secret scanners,
// logs) and never mistaken for an upstream hzk_ key.
const KeyPrefix = "fgk_"

const (
	keyBodyLen = 32
	base62     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// bytes at or above this would favour the first characters of base62 when taken modulo 62
	rejectFrom = 256 - 256%len(base62)
)

// NewKey makes a new API key from crypto/rand and returns it with the hash to put in the
// configuration: "fgk_" and 32 base62 characters (about 190 bits).
func NewKey() (key, hash string, err error) {
	key, err = newKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	return key, HashKey(key), nil
}

// newKey draws each character uniformly by rejecting the bytes that would bias modulo 62.
func newKey(r io.Reader) (string, error) {
	out := make([]byte, 0, len(KeyPrefix)+keyBodyLen)
	out = append(out, KeyPrefix...)
	buf := make([]byte, 64)
	for len(out) < cap(out) {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("config: read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) < rejectFrom && len(out) < cap(out) {
				out = append(out, base62[int(b)%len(base62)])
			}
		}
	}
	return string(out), nil
}

// HashKey is the form a key is stored in: "sha256:" and the hex SHA-256 of the key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Digest is the SHA-256 the key's Hash spells. Parse refuses a configuration whose hashes are
// malformed or used twice, so after it Digest is the key's identity; for a malformed Hash it is
// all zeros, which no presented key hashes to.
func (k Key) Digest() [sha256.Size]byte {
	var d [sha256.Size]byte
	if h, ok := strings.CutPrefix(k.Hash, "sha256:"); ok && hex.DecodedLen(len(h)) == sha256.Size {
		if _, err := hex.Decode(d[:], []byte(h)); err != nil {
			return [sha256.Size]byte{}
		}
	}
	return d
}

// ValidKeyFormat reports whether key looks like a feedgate key: "fgk_" and 32 base62
// characters. It says nothing about whether the key is configured.
func ValidKeyFormat(key string) bool {
	if len(key) != len(KeyPrefix)+keyBodyLen || key[:len(KeyPrefix)] != KeyPrefix {
		return false
	}
	for _, c := range []byte(key[len(KeyPrefix):]) {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
