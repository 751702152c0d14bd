// Command baregin is the hot-serving benchmark's limit of the stack: a bare Gin handler that
// writes the very bytes and headers of a cached feedgate answer, and does nothing else (no key,
// no rate limit, no metrics, no log). At start it fetches each URL it is given once from a
// running feedgate in each encoding (identity and gzip), keeps both answers, and then serves
// GET/HEAD of that path and query with the gzip answer when Accept-Encoding mentions gzip and the
// identity answer otherwise. A URL is a feed (/feeds/t150/google) or a drop-in read
// (/v1/public/inventory?limit=25, /v1/public/inventory/{vin}, .../stats): one route per path,
// the query string picking the answer, so feedgate's requests/s over baregin's is what its own
// code costs.
//
//	baregin --feed KEY=http://127.0.0.1:8080/feeds/t150/google [--feed KEY=URL ...] [--addr ADDR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

// answer is one captured feedgate response.
type answer struct {
	header http.Header
	body   []byte
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "baregin: %v\n", err)
		os.Exit(1)
	}
}

// feedFlags collects the repeated --feed KEY=URL flags.
type feedFlags []string

func (f *feedFlags) String() string     { return strings.Join(*f, " ") }
func (f *feedFlags) Set(v string) error { *f = append(*f, v); return nil }

func run() error {
	var feeds feedFlags
	flag.Var(&feeds, "feed", "`KEY=URL` of a feed or drop-in read on a running feedgate to copy, repeatable (at least one)")
	addr := flag.String("addr", "127.0.0.1:0", "the `ADDR` to listen on")
	flag.Parse()
	if len(feeds) == 0 {
		return errors.New("usage: baregin --feed KEY=URL [--feed KEY=URL ...] [--addr ADDR]")
	}
	type pair struct{ plain, gz answer }
	byPath := map[string]map[string]pair{} // path, then raw query
	for _, f := range feeds {
		key, u, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("baregin: --feed %q is not KEY=URL", f)
		}
		parsed, err := url.Parse(u)
		if err != nil {
			return fmt.Errorf("baregin: --feed: %w", err)
		}
		plain, err := capture(u, key, "")
		if err != nil {
			return err
		}
		gz, err := capture(u, key, "gzip")
		if err != nil {
			return err
		}
		if byPath[parsed.Path] == nil {
			byPath[parsed.Path] = map[string]pair{}
		}
		byPath[parsed.Path][parsed.RawQuery] = pair{plain, gz}
		fmt.Fprintf(os.Stderr, "baregin: %s: identity %d bytes, gzip %d bytes\n", parsed.RequestURI(), len(plain.body), len(gz.body))
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	for path, byQuery := range byPath {
		serve := func(c *gin.Context) {
			p, ok := byQuery[c.Request.URL.RawQuery]
			if !ok {
				c.Status(http.StatusNotFound)
				return
			}
			a := p.plain
			if strings.Contains(c.Request.Header.Get("Accept-Encoding"), "gzip") {
				a = p.gz
			}
			h := c.Writer.Header()
			for k, v := range a.header {
				h[k] = v
			}
			c.Status(http.StatusOK)
			if c.Request.Method != http.MethodHead {
				_, _ = c.Writer.Write(a.body)
			}
		}
		e.GET(path, serve)
		e.HEAD(path, serve)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("baregin: %w", err)
	}
	fmt.Fprintf(os.Stderr, "baregin listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("baregin: %w", err)
	}
	return nil
}

// capture fetches the URL once with the given Accept-Encoding ("" for identity) and keeps the
// response's headers (minus those net/http sets itself per response) and its body as sent.
func capture(u, key, encoding string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return answer{}, fmt.Errorf("baregin: %w", err)
	}
	req.Header.Set("X-API-Key", key)
	// Set explicitly, so that the transport neither asks for gzip nor decodes it.
	req.Header.Set("Accept-Encoding", encoding)
	if encoding == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("baregin: fetch %s: %w", u, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("baregin: fetch %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("baregin: fetch %s: status %d: %.200s", u, resp.StatusCode, body)
	}
	h := resp.Header.Clone()
	h.Del("Date") // net/http adds it to every response
	return answer{header: h, body: body}, nil
}
