package upstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/feedgate/feedgate/inventory"
)

// MaxWalkPages is the hard cap on the pages one list walk follows, whatever total_count says.
const MaxWalkPages = 10000

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
// first page's total_count allows (ErrTooManyPages, with room for vehicles added mid-walk and a
// hard cap of MaxWalkPages) stop it with an error. A walk that ends with another number of
// items than the last page's total_count fails with ErrCountMismatch.
func (c *Client) WalkList(ctx context.Context, q inventory.Query, pageSize int, fn func([]inventory.ListItem) error) error {
	_, err := c.walk(ctx, q, pageSize, fn)
	return err
}

// walk is WalkList, also reporting what it saw.
func (c *Client) walk(ctx context.Context, q inventory.Query, pageSize int, fn func([]inventory.ListItem) error) (walkResult, error) {
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
		page, err := c.List(ctx, ListParams{Query: q, Cursor: cursor, Limit: pageSize})
		if err != nil {
			return res, err
		}
		if res.pages == 0 {
			limit = maxPages(page.Pagination.TotalCount, pageSize)
		}
		res.items += len(page.Data)
		res.total = page.Pagination.TotalCount
		if err := fn(page.Data); err != nil {
			return res, err
		}
		if !page.Pagination.HasMore {
			res.pages++
			break
		}
		if page.Pagination.NextCursor == nil || *page.Pagination.NextCursor == "" {
			return res, unavailable(EndpointList, fmt.Errorf("%w: %w", ErrMalformedResponse, errNoCursor))
		}
		cursor = *page.Pagination.NextCursor
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

// maxPages is how many pages a walk over total vehicles may take: twice what the count needs,
// plus slack for vehicles added while walking, never over MaxWalkPages.
func maxPages(total, pageSize int) int {
	need := (max(total, 0) + pageSize - 1) / pageSize
	return min(2*need+10, MaxWalkPages)
}

// walkRetryable reports whether a failed walk may be repeated: its pages were inconsistent
// (a glitch a second walk may not meet), as opposed to an upstream error or a bad request.
func walkRetryable(err error) bool {
	return errors.Is(err, ErrCountMismatch) || errors.Is(err, ErrTooManyPages) ||
		errors.Is(err, ErrRepeatedCursor) || errors.Is(err, errNoCursor)
}
