package main

import (
	"fmt"
	"strings"
)

// dropinRow is one wrk run of a drop-in read, or of the feed hit it is compared with (endpoint
// "feed"), against feedgate or bare Gin: the bench script's labels plus wrk's own figures.
type dropinRow struct {
	hotRow
	Endpoint string `json:"endpoint"`
	Path     string `json:"path"`
}

// Issue 14: a cached list page within 0.9× of a feed hit's requests/s.
const targetListVsFeed = 0.9

// isList reports whether a drop-in endpoint is a list page, the reads the feed-hit target is for.
func isList(endpoint string) bool { return strings.HasPrefix(endpoint, "list") }

func writeDropin(b *strings.Builder, rows []dropinRow) {
	if !heading(b, "2. Drop-in API", len(rows) > 0) {
		return
	}
	type key struct{ endpoint, encoding string }
	by := map[key]map[string]dropinRow{}
	var keys []key
	var feedPath string
	vehicles, conns := rows[0].Vehicles, rows[0].Conns
	for _, r := range rows {
		k := key{r.Endpoint, r.Encoding}
		if by[k] == nil {
			by[k] = map[string]dropinRow{}
			keys = append(keys, k)
		}
		by[k][r.Server] = r
		if r.Endpoint == "feed" {
			feedPath = r.Path
		}
	}
	fmt.Fprintf(b, "The drop-in reads of the %s-vehicle tenant on the memory-cache gateway, with a tenant\n"+
		"key (`inventory:read`) sent by `bench/wrk/feed.lua`, at %d connections, after the hot table in\n"+
		"the same run. *bare Gin* sends the very answer (headers and bytes) of each read. *feed hit* is\n"+
		"the same tenant's cached feed (`%s`, the first row of each encoding), measured in the same\n"+
		"pass and encoding: \"read / feed hit\" compares a read with a feed hit whose body has another\n"+
		"size (see the body column), \"fg / bare Gin\" compares the same bytes. Cells are requests/s,\n"+
		"then p50 / p99 latency. Targets (issue 14): a list page ≥ %.1f× the feed hit, every read\n"+
		"≥ %.1f× bare Gin; ✗ marks a ratio under target (details and stats have no feed-hit target).\n\n",
		thousands(vehicles), conns, or(feedPath, "the feed"), targetListVsFeed, targetBareGin)
	b.WriteString("| read | path | encoding | body | feedgate | bare Gin | fg / bare Gin | read / feed hit |\n")
	b.WriteString("|---|---|---|---:|---|---|---:|---:|\n")
	var listMet, lists, ginMet, gins int
	for _, enc := range []string{"identity", "gzip"} {
		feed := by[key{"feed", enc}]["feedgate"]
		for _, k := range keys {
			if k.encoding != enc {
				continue
			}
			m := by[k]
			fg, gin := m["feedgate"], m["baregin"]
			name := k.endpoint
			if name == "feed" {
				name = "feed hit"
			}
			rg, okG := ratio([]hotRow{fg.hotRow}, []hotRow{gin.hotRow})
			if okG {
				gins++
				if rg >= targetBareGin {
					ginMet++
				}
			}
			rf, okF := ratio([]hotRow{fg.hotRow}, []hotRow{feed.hotRow})
			feedCell := "—"
			switch {
			case k.endpoint == "feed":
			case isList(k.endpoint):
				feedCell = ratioCell(rf, okF, targetListVsFeed)
				if okF {
					lists++
					if rf >= targetListVsFeed {
						listMet++
					}
				}
			case okF:
				feedCell = fmt.Sprintf("%.2f", rf)
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", name, or(fg.Path, gin.Path), enc,
				bytesize(max(fg.BodyBytes, gin.BodyBytes)), hotCell(fg.hotRow), hotCell(gin.hotRow),
				ratioCell(rg, okG, targetBareGin), feedCell)
		}
	}
	fmt.Fprintf(b, "\nList pages reach %.1f× the feed hit in %d of %d rows; feedgate reaches %.1f× bare Gin in %d of %d rows.\n\n",
		targetListVsFeed, listMet, lists, targetBareGin, ginMet, gins)
}
