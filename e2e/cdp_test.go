package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// browser is a headless Chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: it reads commands on fd 3 and writes answers on fd 4, each message
// JSON ending in a NUL byte), so that a test can click what a user clicks. No WebSocket, no
// library: the few commands used here are plain JSON.
type browser struct {
	t       *testing.T
	w       io.Writer
	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMessage
	session string
}

type cdpMessage struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// startBrowser runs chromium until the test ends and attaches to a blank page.
func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	toChrome, fromTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromChrome, toTest, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--remote-debugging-pipe",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,900", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, toTest} // fd 3, fd 4
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = toChrome.Close()
	_ = toTest.Close()
	b := &browser{t: t, w: fromTest, pending: map[int]chan cdpMessage{}}
	t.Cleanup(func() {
		_ = fromTest.Close()
		cancel()
		_ = cmd.Wait()
		_ = fromChrome.Close()
	})
	go func() {
		r := bufio.NewReader(fromChrome)
		for {
			raw, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			var m cdpMessage
			if json.Unmarshal(raw[:len(raw)-1], &m) != nil || m.ID == 0 {
				continue // an event: nothing here waits for events
			}
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
	}()
	var target struct{ TargetID string }
	b.call("Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct{ SessionID string }
	b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	return b
}

// call sends one command (to the attached page once there is one) and decodes its result.
func (b *browser) call(method string, params any, result any) {
	b.t.Helper()
	if msg := b.send(method, params, result); msg != "" {
		b.t.Fatalf("chromium: %s: %s", method, msg)
	}
}

// send is call that returns the browser's error answer ("" for none) instead of failing on it;
// a broken connection or an undecodable answer still fails the test.
func (b *browser) send(method string, params any, result any) string {
	b.t.Helper()
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if b.session != "" {
		msg["sessionId"] = b.session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.w.Write(append(data, 0)); err != nil {
		b.t.Fatalf("chromium: %s: %v", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return m.Error.Message
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				b.t.Fatalf("chromium: %s: %s: %v", method, m.Result, err)
			}
		}
	case <-time.After(time.Minute): // a hang guard only
		b.t.Fatalf("chromium: %s: no answer", method)
	}
	return ""
}

// navigate opens url in the page.
func (b *browser) navigate(url string) {
	b.t.Helper()
	var r struct{ ErrorText string }
	b.call("Page.navigate", map[string]any{"url": url}, &r)
	if r.ErrorText != "" {
		b.t.Fatalf("chromium: navigate %s: %s", url, r.ErrorText)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value into v.
func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct{ Text string } `json:"exceptionDetails"`
	}
	b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.ExceptionDetails != nil {
		b.t.Fatalf("chromium: %s: %s", expr, r.ExceptionDetails.Text)
	}
	if v != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, v); err != nil {
			b.t.Fatalf("chromium: %s = %s: %v", expr, r.Result.Value, err)
		}
	}
}

// waitTrue polls a JavaScript condition until it holds; the bound only catches a hang.
func (b *browser) waitTrue(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var r struct {
			Result struct {
				Value bool `json:"value"`
			} `json:"result"`
		}
		// While the page navigates (a form that posts itself, a reload) the browser may answer
		// that the evaluated context is gone: that is "not yet", not a failure.
		msg := b.send("Runtime.evaluate", map[string]any{"returnByValue": true,
			"expression": fmt.Sprintf("(() => { try { return !!(%s) } catch (e) { return false } })()", expr)}, &r)
		if msg == "" && r.Result.Value {
			return
		}
		if time.Now().After(deadline) {
			var state string
			b.eval("location.href + ' ' + document.readyState + ' ' + (document.body ? document.body.innerText.slice(0, 300) : '')", &state)
			b.t.Fatalf("chromium: timed out waiting for %s (page: %s)", what, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually polls cond until it holds; the bound only catches a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
