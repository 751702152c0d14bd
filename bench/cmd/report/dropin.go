package main

import (
	"fmt"
	"slices"
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

func writeDropin(b *strings.Builder, rows []dropinRow, rounds string) {
	if !heading(b, "2. Drop-in API", len(rows) > 0) {
		return
	}
	// Runs of each read, server and encoding, in the order they ran: with several rounds, the
	// i-th run of each was made in the same round, which the paired ratios rely on.
	type key struct{ endpoint, encoding string }
	by := map[key]map[string][]hotRow{}
	paths := map[key]string{}
	var keys []key
	var feedPath string
	vehicles, conns := rows[0].Vehicles, rows[0].Conns
	for _, r := range rows {
		k := key{r.Endpoint, r.Encoding}
		if by[k] == nil {
			by[k] = map[string][]hotRow{}
			keys = append(keys, k)
		}
		by[k][r.Server] = append(by[k][r.Server], r.hotRow)
		paths[k] = or(paths[k], r.Path)
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
		"≥ %.1f× bare Gin; ✗ marks a ratio under target (details and stats have no feed-hit target).%s\n\n",
		thousands(vehicles), conns, or(feedPath, "the feed"), targetListVsFeed, targetBareGin, dropinRoundsNote(rounds))
	b.WriteString("| read | path | encoding | body | feedgate | bare Gin | fg / bare Gin | read / feed hit |\n")
	b.WriteString("|---|---|---|---:|---|---|---:|---:|\n")
	var listMet, lists, ginMet, gins int
	for _, enc := range []string{"identity", "gzip"} {
		feed := by[key{"feed", enc}]["feedgate"]
		for _, k := range keys {
			if k.encoding != enc {
				continue
			}
			fg, gin := by[k]["feedgate"], by[k]["baregin"]
			name := k.endpoint
			if name == "feed" {
				name = "feed hit"
			}
			rg, okG := ratio(fg, gin)
			if okG {
				gins++
				if rg >= targetBareGin {
					ginMet++
				}
			}
			rf, okF := ratio(fg, feed)
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
			var body int64
			for _, r := range append(slices.Clone(fg), gin...) {
				body = max(body, r.BodyBytes)
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", name, paths[k], enc,
				bytesize(body), hotCell(medianRun(fg)), hotCell(medianRun(gin)),
				ratioCell(rg, okG, targetBareGin), feedCell)
		}
	}
	fmt.Fprintf(b, "\nList pages reach %.1f× the feed hit in %d of %d rows; feedgate reaches %.1f× bare Gin in %d of %d rows.\n\n",
		targetListVsFeed, listMet, lists, targetBareGin, ginMet, gins)
}

// dropinRoundsNote says how a drop-in cell and ratio were chosen when each read ran more than
// once.
func dropinRoundsNote(rounds string) string {
	if rounds == "" || rounds == "1" {
		return ""
	}
	return "\nEach read ran " + rounds + " times on each server, in rounds that measure every read " +
		"once, feedgate and bare Gin taking turns (which one first alternating); a cell is the median " +
		"run and a ratio the median of the ratios of runs made in the same round."
}
