package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync"

	"github.com/feedgate/feedgate/inventory"
)

// maxPreparedAnswers bounds the drop-in API's prepared header values (a few hundred bytes per
// stored answer): past it the memo starts over, so the answers of old snapshots do not pile up.
const maxPreparedAnswers = 4096

// dropinHeaders keeps what the drop-in API's answers send beside their stored bytes, built once
// instead of on every request: the header values of each stored answer (by ETag, checked
// against the answer like a feed's, feed_headers.go) and the stored names of the plain list
// pages. The slices are shared by every response that sends them; nobody may modify them.
type dropinHeaders struct {
	cacheControl []string // the drop-in's answers are per key and always revalidated

	// listKeys[n] is listKey of the page of the first n vehicles with no filter.
	listKeys [101]string

	mu       sync.RWMutex
	prepared map[string]*preparedOutput
}

func newDropinHeaders() *dropinHeaders {
	h := &dropinHeaders{cacheControl: []string{"private, no-cache"}, prepared: map[string]*preparedOutput{}}
	for n := 1; n < len(h.listKeys); n++ {
		h.listKeys[n] = listKey(inventory.Query{}, "", n)
	}
	return h
}

// forAnswer returns the header values of out.
func (h *dropinHeaders) forAnswer(out *Rendered) *preparedOutput {
	h.mu.RLock()
	p := h.prepared[out.ETag]
	h.mu.RUnlock()
	if p != nil && p.builtFor(out) {
		return p
	}
	p = newPreparedOutput(out)
	h.mu.Lock()
	if len(h.prepared) >= maxPreparedAnswers {
		h.prepared = make(map[string]*preparedOutput, maxPreparedAnswers/4)
	}
	h.prepared[out.ETag] = p
	h.mu.Unlock()
	return p
}

// listKey names a list page in the Store: a hash of its normalised parameters, so that any
// spelling of the same query (order, escapes, defaults) finds the same stored page, and a
// client's long filter values make no long keys. The plain pages' names are built once.
func (h *dropinHeaders) listKey(lq listQuery) string {
	if lq.q == (inventory.Query{}) && lq.cursor == "" && lq.limit > 0 && lq.limit < len(h.listKeys) {
		return h.listKeys[lq.limit]
	}
	return listKey(lq.q, lq.cursor, lq.limit)
}

// listKey is the stored name of the page of limit vehicles matching q after cursor.
func listKey(q inventory.Query, cursor string, limit int) string {
	var buf [256]byte
	b := strconv.AppendQuote(buf[:0], q.Make)
	b = strconv.AppendQuote(b, q.Model)
	b = strconv.AppendInt(append(b, '|'), int64(q.Year), 10)
	b = strconv.AppendQuote(append(b, '|'), string(q.Condition))
	b = strconv.AppendQuote(b, cursor)
	b = strconv.AppendInt(append(b, '|'), int64(limit), 10)
	sum := sha256.Sum256(b)
	var out [3 + 32]byte
	copy(out[:], "v1-")
	hex.Encode(out[3:], sum[:16])
	return string(out[:])
}
