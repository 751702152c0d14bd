package upstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/feedgate/feedgate/inventory"
)

// Bounds on one list walk, so that a broken or hostile upstream cannot make a sync call it
// without end.
const (
	// MaxWalkPages is the hard cap on the pages one list walk follows, whatever total_count says.
	MaxWalkPages = 10000
	// WalkSlackPages is how many pages past ceil(total_count / page size) a walk may follow:
	// room for vehicles added while it walks.
	WalkSlackPages = 2
	// MaxTotalCount is the largest total_count a list may claim: far above any one dealer's
	// inventory (the benchmarks sync 50,000), far below the 1e9 a broken upstream once sent.
	MaxTotalCount = 200000
)

// ErrImplausibleTotal means a list page claimed a total_count above MaxTotalCount (or below
// zero); the walk stops at that page rather than follow it.
var ErrImplausibleTotal = errors.New("upstream: the list's total_count is implausible")

// ErrCountMismatch means a list walk ended with more or fewer vehicles than the list's own
// total_count: a page that said has_more:false too early, a page that repeated or skipped
// vehicles. It is never taken as the inventory.
var ErrCountMismatch = errors.New("upstream: the list walk's vehicle count disagrees with its total_count")

// errNoCursor is a page that says has_more without a next_cursor.
var errNoCursor = errors.New("has_more is true but next_cursor is empty")

// walkResult is what a finished walk saw.
type walkResult struct {
	pages int // list pages followed
	items int // items handed over, over all pages
	total int // the last page's total_count
}

// WalkList follows the list's cursors from the first page to the last, handing each page's
// items to fn (an error from fn stops the walk and is returned). It never loops forever: a
// cursor seen before (ErrRepeatedCursor), has_more without a cursor, or more pages than the
// first page's total_count allows (ErrTooManyPages: ceil(total_count / pageSize) plus
// WalkSlackPages, at most MaxWalkPages) stop it with an error, and so does a total_count over
// MaxTotalCount (ErrImplausibleTotal), at the first page that claims it. A walk that ends with another number of
// items than the last page's total_count fails with ErrCountMismatch, and a page with a vehicle
// described badly fails with an error wrapping *BadVehicleError.
func (c *Client) WalkList(ctx context.Context, q inventory.Query, pageSize int, fn func([]inventory.ListItem) error) error {
	_, err := c.walk(ctx, q, pageSize, func(items []inventory.ListItem, bad []*BadVehicleError) error {
		if len(bad) > 0 {
			return unavailable(EndpointList, fmt.Errorf("%w: %w", ErrMalformedResponse, bad[0]))
		}
		return fn(items)
	})
	return err
}

// walk is WalkList handing over each page's good items and its vehicles described badly, and
// reporting what it saw.
func (c *Client) walk(ctx context.Context, q inventory.Query, pageSize int, fn func([]inventory.ListItem, []*BadVehicleError) error) (walkResult, error) {
	var res walkResult
	if pageSize <= 0 {
		pageSize = MaxListLimit
	}
	if pageSize > MaxListLimit {
		return res, invalid(EndpointList, "page size %d is over %d", pageSize, MaxListLimit)
	}
	seen := make(map[string]bool)
	cursor := ""
	limit := MaxWalkPages
	for ; ; res.pages++ {
		if res.pages >= limit {
			return res, unavailable(EndpointList, fmt.Errorf("%w: %d pages followed", ErrTooManyPages, res.pages))
		}
		page, err := c.listPage(ctx, ListParams{Query: q, Cursor: cursor, Limit: pageSize})
		if err != nil {
			return res, err
		}
		if t := page.pagination.TotalCount; t < 0 || t > MaxTotalCount {
			return res, unavailable(EndpointList, fmt.Errorf("%w: total_count %d is outside 0 to %d",
				ErrImplausibleTotal, t, MaxTotalCount))
		}
		if res.pages == 0 {
			limit = maxPages(page.pagination.TotalCount, pageSize)
		}
		res.items += len(page.items) + len(page.bad)
		res.total = page.pagination.TotalCount
		if err := fn(page.items, page.bad); err != nil {
			return res, err
		}
		if !page.pagination.HasMore {
			res.pages++
			break
		}
		if page.pagination.NextCursor == nil || *page.pagination.NextCursor == "" {
			return res, unavailable(EndpointList, fmt.Errorf("%w: %w", ErrMalformedResponse, errNoCursor))
		}
		cursor = *page.pagination.NextCursor
		if seen[cursor] {
			return res, unavailable(EndpointList, fmt.Errorf("%w after %d pages", ErrRepeatedCursor, res.pages+1))
		}
		seen[cursor] = true
	}
	if res.items != res.total {
		return res, unavailable(EndpointList, fmt.Errorf("%w: %d pages held %d vehicles, total_count says %d",
			ErrCountMismatch, res.pages, res.items, res.total))
	}
	return res, nil
}

// maxPages is how many pages a walk over total vehicles may take: what the count needs (at least
// one page), plus WalkSlackPages for vehicles added while walking, never over MaxWalkPages.
func maxPages(total, pageSize int) int {
	need := max((max(total, 0)+pageSize-1)/pageSize, 1)
	return min(need+WalkSlackPages, MaxWalkPages)
}

// walkRetryable reports whether a failed walk may be repeated: its pages were inconsistent
// (a glitch a second walk may not meet), as opposed to an upstream error or a bad request.
func walkRetryable(err error) bool {
	return errors.Is(err, ErrCountMismatch) || errors.Is(err, ErrTooManyPages) ||
		errors.Is(err, ErrRepeatedCursor) || errors.Is(err, errNoCursor)
}
