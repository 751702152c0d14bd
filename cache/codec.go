package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/feedgate/feedgate/inventory"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Stored formats begin with a tag byte and a format version, so a future layout can be told apart
// from this one (an unknown one reads as a miss and is rewritten).
const (
	tagSnapshot = 'S'
	tagOutput   = 'O'
	formatV1    = 1
)

var errFormat = errors.New("cache: stored value has an unknown format")

// codec encodes snapshots (JSON, zstd-compressed) and rendered outputs for Redis, and gzips
// rendered bodies. Its encoder and decoder are safe for concurrent use.
type codec struct {
	enc   *zstd.Encoder
	dec   *zstd.Decoder
	gzips sync.Pool
}

func newCodec() (*codec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("cache: zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0))
	if err != nil {
		return nil, fmt.Errorf("cache: zstd decoder: %w", err)
	}
	return &codec{enc: enc, dec: dec}, nil
}

func (c *codec) close() { c.dec.Close() }

func (c *codec) encodeSnapshot(s *inventory.Snapshot) ([]byte, error) {
	js, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("cache: encode snapshot: %w", err)
	}
	return c.enc.EncodeAll(js, []byte{tagSnapshot, formatV1}), nil
}

func (c *codec) decodeSnapshot(b []byte) (*inventory.Snapshot, error) {
	if len(b) < 2 || b[0] != tagSnapshot || b[1] != formatV1 {
		return nil, errFormat
	}
	js, err := c.dec.DecodeAll(b[2:], nil)
	if err != nil {
		return nil, fmt.Errorf("cache: decompress snapshot: %w", err)
	}
	s := &inventory.Snapshot{}
	if err := json.Unmarshal(js, s); err != nil {
		return nil, fmt.Errorf("cache: decode snapshot: %w", err)
	}
	// Nobody holds the snapshot yet: bring it to its compact form before it is cached (a decoded
	// vehicle held 2,340 bytes, a compacted one 1,560; BenchmarkSnapshotResident).
	return inventory.Compact(s), nil
}

// gzip compresses body once, at store time, so that every gzip-accepting client is served the
// same pre-compressed bytes.
func (c *codec) gzip(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(body)/4 + 64)
	zw, _ := c.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	} else {
		zw.Reset(&buf)
	}
	defer c.gzips.Put(zw)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("cache: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("cache: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// StrongETag is the strong ETag of body: a quoted hash of the bytes, equal on every replica that
// renders the same bytes.
func StrongETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// encodeOutput lays a Rendered out as tag, version, then length-prefixed fields; bodies are raw
// bytes (JSON would base64 them).
func encodeOutput(r *Rendered) []byte {
	n := 2 + 6*binary.MaxVarintLen64 + len(r.ETag) + len(r.ContentType) + len(r.Body) + len(r.Gzip) + len(r.Meta)
	b := make([]byte, 0, n)
	b = append(b, tagOutput, formatV1)
	b = binary.AppendVarint(b, r.ModifiedAt.UnixNano())
	for _, f := range [][]byte{[]byte(r.ETag), []byte(r.ContentType), r.Body, r.Gzip, r.Meta} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func decodeOutput(b []byte) (*Rendered, error) {
	if len(b) < 2 || b[0] != tagOutput || b[1] != formatV1 {
		return nil, errFormat
	}
	b = b[2:]
	mod, n := binary.Varint(b)
	if n <= 0 {
		return nil, errFormat
	}
	b = b[n:]
	var fields [5][]byte
	for i := range fields {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errFormat
		}
		fields[i] = b[n : n+int(l) : n+int(l)]
		b = b[n+int(l):]
	}
	r := &Rendered{
		ETag:        string(fields[0]),
		ContentType: string(fields[1]),
		Body:        fields[2],
		Gzip:        fields[3],
		ModifiedAt:  time.Unix(0, mod).UTC(),
	}
	if len(fields[4]) > 0 {
		r.Meta = fields[4]
	}
	return r, nil
}

func outputSize(r *Rendered) int64 {
	return int64(256 + len(r.Body) + len(r.Gzip) + len(r.Meta) + len(r.ETag) + len(r.ContentType))
}
