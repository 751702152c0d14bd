package upstream

import (
	"context"
	"fmt"

	"github.com/feedgate/feedgate/inventory"
)

// MaxWalkPages is the hard cap on the pages one list walk follows, whatever total_count says.
const MaxWalkPages = 10000

// WalkList follows the list's cursors from the first page to the last, handing each page's
// items to fn (an error from fn stops the walk and is returned). It never loops forever: a
// cursor seen before (ErrRepeatedCursor), has_more without a cursor, or more pages than the
// first page's total_count allows (ErrTooManyPages, with room for vehicles added mid-walk and a
// hard cap of MaxWalkPages) stop it with an error.
func (c *Client) WalkList(ctx context.Context, q inventory.Query, pageSize int, fn func([]inventory.ListItem) error) error {
	if pageSize <= 0 {
		pageSize = MaxListLimit
	}
	if pageSize > MaxListLimit {
		return invalid(EndpointList, "page size %d is over %d", pageSize, MaxListLimit)
	}
	seen := make(map[string]bool)
	cursor := ""
	limit := MaxWalkPages
	for pages := 0; ; pages++ {
		if pages >= limit {
			return unavailable(EndpointList, fmt.Errorf("%w: %d pages followed", ErrTooManyPages, pages))
		}
		page, err := c.List(ctx, ListParams{Query: q, Cursor: cursor, Limit: pageSize})
		if err != nil {
			return err
		}
		if pages == 0 {
			limit = maxPages(page.Pagination.TotalCount, pageSize)
		}
		if err := fn(page.Data); err != nil {
			return err
		}
		if !page.Pagination.HasMore {
			return nil
		}
		if page.Pagination.NextCursor == nil || *page.Pagination.NextCursor == "" {
			return unavailable(EndpointList, fmt.Errorf("%w: has_more is true but next_cursor is empty", ErrMalformedResponse))
		}
		cursor = *page.Pagination.NextCursor
		if seen[cursor] {
			return unavailable(EndpointList, fmt.Errorf("%w after %d pages", ErrRepeatedCursor, pages+1))
		}
		seen[cursor] = true
	}
}

// maxPages is how many pages a walk over total vehicles may take: twice what the count needs,
// plus slack for vehicles added while walking, never over MaxWalkPages.
func maxPages(total, pageSize int) int {
	need := (max(total, 0) + pageSize - 1) / pageSize
	return min(2*need+10, MaxWalkPages)
}
