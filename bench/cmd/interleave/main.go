// Command interleave times servers request by request, taking turns on one connection each: a
// request to the first, then to the second, and so on, the order rotating each turn. One
// connection's throughput is one over a request's round trip, and on a shared VM that round trip
// drifts by ±10% within seconds; wrk runs of a few seconds each, one server after another, catch
// the servers at different moments, so that a ratio of two runs moves by as much as the
// difference it is meant to show. Taking turns request by request, every server meets the same
// moments, and between two of a server's requests the others' ran, as the kernel and the load
// generator run between two requests of a loaded server.
//
// With -c N a server's turn is a burst: N requests at once, one on each of its N connections,
// and the turn's time is the burst's, from the first request sent to the last answer read; the
// servers still take turns, so that concurrent load, which wrk measures one server after
// another, is compared at the same moments too.
//
// It prints one JSON line: the turns, and for each server its answer's body size, its mean and
// median round trip (of a burst, with -c), and its requests/s over the first server's (the
// first's mean round trip over its own) with a 95% interval: a bootstrap over 50 blocks of
// consecutive turns, so that the interval holds the machine's drift over the run as well as each
// request's spread.
//
//	interleave -d 20s [-c 32] -header 'X-API-Key: …' -header 'Accept-Encoding: gzip' URL URL...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/feedgate/feedgate/bench/internal/cli"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// server is one URL, its request written out once, and the connections it is sent on.
type server struct {
	url   string
	req   []byte
	conns []*conn
	times []time.Duration
	body  int64
	// With more than one connection, each has a goroutine that sends the request when its
	// channel in gos gets a word, and reports the answer's error (or nil) on done.
	gos  []chan struct{}
	done chan error
}

// conn is one connection to a server, and the length of the last answer read on it.
type conn struct {
	c    net.Conn
	r    *bufio.Reader
	body int64
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("interleave", flag.ContinueOnError)
	var hdr headers
	d := fs.Duration("d", 10*time.Second, "how long to take turns")
	warm := fs.Int("warm", 200, "turns before anything counts (at least 1)")
	grace := fs.Duration("timeout", 2*time.Minute, "how long past -d the run may take before it fails (a server that stops answering)")
	slack := fs.Int64("slack", 0, "how many `BYTES` the answers' lengths may differ by (a copy whose one time stamp differs compresses to a byte more or less)")
	conns := fs.Int("c", 1, "connections to each server: a turn sends a request on each at once")
	fs.Var(&hdr, "header", "a request header, Name: value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return errors.New("usage: interleave [-d 10s] [-c 1] [-warm 200] [-slack 0] [-header 'Name: value'] URL URL [URL ...] (headers and URLs repeatable)")
	}
	if *conns < 1 || *conns > 1024 {
		return fmt.Errorf("interleave: -c %d: want 1 to 1024 connections", *conns)
	}
	var ss []*server
	for _, u := range fs.Args() {
		s, err := dial(u, hdr, *conns)
		if s != nil {
			defer s.close()
		}
		if err != nil {
			return fmt.Errorf("interleave: %w", err)
		}
		// One deadline for the whole run, so that a server that stops answering ends it with an
		// error rather than hanging it, at no cost per request.
		for _, c := range s.conns {
			if err := c.c.SetDeadline(time.Now().Add(*d + *grace)); err != nil {
				return fmt.Errorf("interleave: %w", err)
			}
		}
		ss = append(ss, s)
	}
	for turn := 0; turn < max(1, *warm); turn++ {
		for _, s := range ss {
			if _, err := s.do(); err != nil {
				return fmt.Errorf("interleave: %w", err)
			}
		}
	}
	for _, s := range ss[1:] {
		if d := s.body - ss[0].body; d > *slack || -d > *slack {
			return fmt.Errorf("interleave: %s sends %d bytes and %s %d: the servers must send the same answer (-slack %d)",
				ss[0].url, ss[0].body, s.url, s.body, *slack)
		}
	}
	end := time.Now().Add(*d)
	for turn := 0; turn == 0 || time.Now().Before(end); turn++ {
		for i := range ss {
			s := ss[(turn+i)%len(ss)]
			t, err := s.do()
			if err != nil {
				return fmt.Errorf("interleave: %w", err)
			}
			s.times = append(s.times, t)
		}
	}
	res := summarise(ss)
	res.Conns = *conns
	return json.NewEncoder(stdout).Encode(res)
}

// dial opens n connections to raw's host, and with more than one starts their goroutines.
func dial(raw string, hdr headers, n int) (*server, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("%q: want an http:// URL", raw)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	for _, h := range hdr {
		if name, _, ok := strings.Cut(h, ":"); !ok || name == "" || strings.ContainsAny(h, "\r\n") {
			return nil, fmt.Errorf("header %q: want Name: value on one line", h)
		}
		fmt.Fprintf(&b, "%s\r\n", h)
	}
	b.WriteString("\r\n")
	s := &server{url: raw, req: []byte(b.String())}
	for range n {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			return s, err
		}
		s.conns = append(s.conns, &conn{c: c, r: bufio.NewReaderSize(c, 64<<10)})
	}
	if n > 1 {
		s.done = make(chan error, n)
		for _, c := range s.conns {
			g := make(chan struct{})
			s.gos = append(s.gos, g)
			go func() {
				for range g {
					s.done <- c.do(s.url, s.req)
				}
			}()
		}
	}
	return s, nil
}

// close stops the connections' goroutines and closes the connections.
func (s *server) close() {
	for _, g := range s.gos {
		close(g)
	}
	for _, c := range s.conns {
		_ = c.c.Close()
	}
}

// do is one turn: the request on every connection at once, each answer read whole; it returns
// the time from the first request sent to the last answer read.
func (s *server) do() (time.Duration, error) {
	start := time.Now()
	if len(s.conns) == 1 {
		if err := s.conns[0].do(s.url, s.req); err != nil {
			return 0, err
		}
	} else {
		for _, g := range s.gos {
			g <- struct{}{}
		}
		var first error
		for range s.gos {
			if err := <-s.done; err != nil && first == nil {
				first = err
			}
		}
		if first != nil {
			return 0, first
		}
	}
	d := time.Since(start)
	s.body = s.conns[0].body
	for _, c := range s.conns[1:] {
		if c.body != s.body {
			return 0, fmt.Errorf("%s sent answers of %d and %d bytes on two connections", s.url, s.body, c.body)
		}
	}
	return d, nil
}

// do sends the request and reads the whole answer, which must be a 200 with a Content-Length.
func (c *conn) do(url string, req []byte) error {
	if _, err := c.c.Write(req); err != nil {
		return err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(status), "HTTP/1.1 200 ") {
		return fmt.Errorf("%s answered %q", url, strings.TrimSpace(string(status)))
	}
	length := int64(-1)
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if name, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(name, "Content-Length") {
			if length, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return errors.New(url + " sent no Content-Length")
	}
	if _, err := c.r.Discard(int(length)); err != nil {
		return err
	}
	c.body = length
	return nil
}

type result struct {
	Turns int `json:"turns"`
	// Conns is the connections to each server, the requests of a turn.
	Conns   int           `json:"conns"`
	Servers []serverStats `json:"servers"`
}

type serverStats struct {
	URL      string  `json:"url"`
	Body     int64   `json:"body_bytes"`
	MeanUS   float64 `json:"mean_us"`
	MedianUS float64 `json:"median_us"`
	// Ratio is this server's requests/s over the first one's (the first one's mean round trip
	// over this one's), with its 95% interval.
	Ratio   float64 `json:"ratio"`
	RatioLo float64 `json:"ratio_lo"`
	RatioHi float64 `json:"ratio_hi"`
}

// blocks is how many runs of consecutive turns the bootstrap resamples.
const blocks = 50

func summarise(ss []*server) result {
	n := len(ss[0].times)
	for _, s := range ss {
		n = min(n, len(s.times))
	}
	nb := min(n, blocks)
	size := n / nb
	n = nb * size // whole blocks only
	// sums[i][b] is server i's total round trip over block b.
	sums := make([][]float64, len(ss))
	for i, s := range ss {
		sums[i] = make([]float64, nb)
		for j, d := range s.times[:n] {
			sums[i][j/size] += float64(d)
		}
	}
	total := func(i int) (t float64) {
		for _, v := range sums[i] {
			t += v
		}
		return t
	}
	rng := rand.New(rand.NewPCG(1, 2))
	res := result{Turns: n}
	for i, s := range ss {
		ts := slices.Clone(s.times[:n])
		slices.Sort(ts)
		st := serverStats{URL: s.url, Body: s.body, MeanUS: total(i) / float64(n) / 1e3,
			MedianUS: float64(ts[n/2]) / 1e3, Ratio: total(0) / total(i)}
		rs := make([]float64, 2000)
		for k := range rs {
			var first, this float64
			for range nb {
				b := rng.IntN(nb)
				first += sums[0][b]
				this += sums[i][b]
			}
			rs[k] = first / this
		}
		slices.Sort(rs)
		st.RatioLo, st.RatioHi = rs[len(rs)*25/1000], rs[len(rs)*975/1000]
		res.Servers = append(res.Servers, st)
	}
	return res
}
