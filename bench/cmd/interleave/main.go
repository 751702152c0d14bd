// Command interleave times servers request by request, taking turns on one connection each: a
// request to the first, then to the second, and so on, the order rotating each turn. One
// connection's throughput is one over a request's round trip, and on a shared VM that round trip
// drifts by ±10% within seconds; wrk runs of a few seconds each, one server after another, catch
// the servers at different moments, so that a ratio of two runs moves by as much as the
// difference it is meant to show. Taking turns request by request, every server meets the same
// moments, and between two of a server's requests the others' ran, as the kernel and the load
// generator run between two requests of a loaded server.
//
// It prints one JSON line: the turns, and for each server its answer's body size, its mean and
// median round trip, and its requests/s over the first server's (the first's mean round trip
// over its own) with a 95% interval: a bootstrap over 50 blocks of consecutive turns, so that the
// interval holds the machine's drift over the run as well as each request's spread.
//
//	interleave -d 20s -header 'X-API-Key: …' -header 'Accept-Encoding: gzip' URL URL...
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

// server is one connection to one URL, with its request written out once.
type server struct {
	url   string
	req   []byte
	conn  net.Conn
	r     *bufio.Reader
	times []time.Duration
	body  int64
}

func main() { cli.Main(run) }

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("interleave", flag.ContinueOnError)
	var hdr headers
	d := fs.Duration("d", 10*time.Second, "how long to take turns")
	warm := fs.Int("warm", 200, "turns before anything counts (at least 1)")
	grace := fs.Duration("timeout", 2*time.Minute, "how long past -d the run may take before it fails (a server that stops answering)")
	slack := fs.Int64("slack", 0, "how many `BYTES` the answers' lengths may differ by (a copy whose one time stamp differs compresses to a byte more or less)")
	fs.Var(&hdr, "header", "a request header, Name: value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return errors.New("usage: interleave [-d 10s] [-warm 200] [-slack 0] [-header 'Name: value'] URL URL [URL ...] (headers and URLs repeatable)")
	}
	var ss []*server
	for _, u := range fs.Args() {
		s, err := dial(u, hdr)
		if err != nil {
			return fmt.Errorf("interleave: %w", err)
		}
		defer s.conn.Close()
		// One deadline for the whole run, so that a server that stops answering ends it with an
		// error rather than hanging it, at no cost per request.
		if err := s.conn.SetDeadline(time.Now().Add(*d + *grace)); err != nil {
			return fmt.Errorf("interleave: %w", err)
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
	return json.NewEncoder(stdout).Encode(summarise(ss))
}

func dial(raw string, hdr headers) (*server, error) {
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
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, err
	}
	return &server{url: raw, req: []byte(b.String()), conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// do sends the request and reads the whole answer, which must be a 200 with a Content-Length.
func (s *server) do() (time.Duration, error) {
	start := time.Now()
	if _, err := s.conn.Write(s.req); err != nil {
		return 0, err
	}
	status, err := s.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if !strings.HasPrefix(string(status), "HTTP/1.1 200 ") {
		return 0, fmt.Errorf("%s answered %q", s.url, strings.TrimSpace(string(status)))
	}
	length := int64(-1)
	for {
		line, err := s.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if name, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(name, "Content-Length") {
			if length, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return 0, err
			}
		}
	}
	if length < 0 {
		return 0, errors.New(s.url + " sent no Content-Length")
	}
	if _, err := s.r.Discard(int(length)); err != nil {
		return 0, err
	}
	s.body = length
	return time.Since(start), nil
}

type result struct {
	Turns   int           `json:"turns"`
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
