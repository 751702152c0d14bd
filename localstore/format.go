package localstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
)

// A record file is a 20-byte header followed by the payload:
//
//	0  magic "FGLS"
//	4  format version, uint16 big-endian (formatVersion)
//	6  reserved, zero
//	8  payload length, uint64 big-endian
//	16 CRC-32C (Castagnoli) of bytes 0..15 and the payload, uint32 big-endian
//
// The checksum covers the header too, so a flipped bit in the length is caught like one in the
// payload; the version is checked before it, so a future layout is named as such.
const (
	magic         = "FGLS"
	formatVersion = 1
	headerSize    = 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encode(data []byte) []byte {
	b := make([]byte, headerSize, headerSize+len(data))
	copy(b, magic)
	binary.BigEndian.PutUint16(b[4:], formatVersion)
	binary.BigEndian.PutUint64(b[8:], uint64(len(data)))
	crc := crc32.Update(crc32.Checksum(b[:16], castagnoli), castagnoli, data)
	binary.BigEndian.PutUint32(b[16:], crc)
	return append(b, data...)
}

// decode returns the payload of a record file, or a reason why the file cannot be trusted.
func decode(b []byte, maxSize int64) ([]byte, string) {
	if len(b) == 0 {
		return nil, "empty file"
	}
	if len(b) < len(magic) {
		if strings.HasPrefix(magic, string(b)) {
			return nil, fmt.Sprintf("truncated: %d bytes, shorter than the header", len(b))
		}
		return nil, "not a feedgate record (bad magic)"
	}
	if string(b[:4]) != magic {
		return nil, "not a feedgate record (bad magic)"
	}
	if len(b) < 6 {
		return nil, fmt.Sprintf("truncated: %d bytes, shorter than the header", len(b))
	}
	if v := binary.BigEndian.Uint16(b[4:]); v != formatVersion {
		return nil, fmt.Sprintf("format version %d, this build reads version %d", v, formatVersion)
	}
	if len(b) < headerSize {
		return nil, fmt.Sprintf("truncated: %d bytes, shorter than the header", len(b))
	}
	n := binary.BigEndian.Uint64(b[8:])
	if n > uint64(maxSize) {
		return nil, fmt.Sprintf("header claims %d bytes, over the limit of %d", n, maxSize)
	}
	payload := b[headerSize:]
	switch {
	case uint64(len(payload)) < n:
		return nil, fmt.Sprintf("truncated: %d of %d payload bytes", len(payload), n)
	case uint64(len(payload)) > n:
		return nil, fmt.Sprintf("%d bytes after the %d-byte payload", uint64(len(payload))-n, n)
	}
	crc := crc32.Update(crc32.Checksum(b[:16], castagnoli), castagnoli, payload)
	if crc != binary.BigEndian.Uint32(b[16:]) {
		return nil, "checksum mismatch"
	}
	return payload, ""
}

// plain reports whether c may stand for itself in a path segment. Upper-case letters are escaped
// too: on a case-insensitive file system (macOS, Windows) "A" and "a" would share a directory.
func plain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// maxSegment keeps an escaped tenant id within the 255 bytes most file systems allow a name.
const maxSegment = 255

// escapeTenant turns a tenant id into one safe path segment: [a-z0-9_-] stay, every other byte
// becomes %xx. No separator, dot or ".." can survive, so a segment never leaves the store.
func escapeTenant(tenant string) (string, error) {
	if tenant == "" {
		return "", fmt.Errorf("localstore: empty tenant id")
	}
	var sb strings.Builder
	sb.Grow(len(tenant))
	const hex = "0123456789abcdef"
	for i := 0; i < len(tenant); i++ {
		c := tenant[i]
		if plain(c) {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&0xf])
	}
	if sb.Len() > maxSegment {
		return "", fmt.Errorf("localstore: tenant id %.40q… is too long for a directory name", tenant)
	}
	return sb.String(), nil
}

// unescapeTenant reverses escapeTenant; it accepts only the canonical form escapeTenant writes, so
// each directory maps to exactly one tenant.
func unescapeTenant(seg string) (string, bool) {
	if seg == "" {
		return "", false
	}
	b := make([]byte, 0, len(seg))
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if plain(c) {
			b = append(b, c)
			continue
		}
		if c != '%' || i+2 >= len(seg) {
			return "", false
		}
		hi, ok1 := unhex(seg[i+1])
		lo, ok2 := unhex(seg[i+2])
		d := hi<<4 | lo
		if !ok1 || !ok2 || plain(d) {
			return "", false
		}
		b = append(b, d)
		i += 2
	}
	return string(b), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
