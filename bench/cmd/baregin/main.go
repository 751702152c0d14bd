// Command baregin is the hot-serving benchmark's limit of the stack: a bare Gin handler that
// writes the very bytes and headers of a cached feedgate feed hit, and does nothing else (no key,
// no rate limit, no metrics, no log). At start it fetches the feed once from a running feedgate
// in each encoding (identity and gzip), keeps both answers, and then serves
// GET/HEAD /feeds/:tenant/:feed with the gzip answer when Accept-Encoding mentions gzip and the
// identity answer otherwise. feedgate's requests/s over baregin's is what its own code costs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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

func run() error {
	from := flag.String("from", "", "the feed `URL` on a running feedgate to copy (required)")
	key := flag.String("key", os.Getenv("FEED_KEY"), "the feed `KEY` to fetch it with (default $FEED_KEY)")
	addr := flag.String("addr", "127.0.0.1:0", "the `ADDR` to listen on")
	flag.Parse()
	if *from == "" {
		return errors.New("usage: baregin --from URL [--key KEY] [--addr ADDR]")
	}
	plain, err := capture(*from, *key, "")
	if err != nil {
		return err
	}
	gz, err := capture(*from, *key, "gzip")
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	serve := func(c *gin.Context) {
		a := plain
		if strings.Contains(c.Request.Header.Get("Accept-Encoding"), "gzip") {
			a = gz
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
	e.GET("/feeds/:tenant/:feed", serve)
	e.HEAD("/feeds/:tenant/:feed", serve)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("baregin: %w", err)
	}
	fmt.Fprintf(os.Stderr, "baregin listening on http://%s (identity %d bytes, gzip %d bytes)\n", ln.Addr(), len(plain.body), len(gz.body))
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

// capture fetches the feed once with the given Accept-Encoding ("" for identity) and keeps the
// response's headers (minus those net/http sets itself per response) and its body as sent.
func capture(url, key, encoding string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
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
		return answer{}, fmt.Errorf("baregin: fetch %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("baregin: fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("baregin: fetch %s: status %d: %.200s", url, resp.StatusCode, body)
	}
	h := resp.Header.Clone()
	h.Del("Date") // net/http adds it to every response
	return answer{header: h, body: body}, nil
}
