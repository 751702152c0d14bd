package gateway

import (
	"net"
	"net/http"
	"time"
)

// The server's deadlines, kept without a timer operation on every request.
//
// net/http enforces http.Server's ReadTimeout and WriteTimeout by setting the connection's
// deadlines for every request: a read deadline for the whole request after its headers, and a
// write deadline when the request is read, cleared when the answer is done. Each is an
// operation on the runtime's timer heap, and on a keep-alive connection that serves thousands of
// cached feed hits a second they cost about 0.8% of the gateway's CPU beyond a server without
// them (perf under `bench/cmd/interleave -c 32`: the deadline calls 1.55% of its samples against
// bare Gin's 0.76%), more than any one step of the hit itself. The protections stay, kept
// differently:
//
//   - The body's read deadline (Options.ReadTimeout) is set by the gateway for a request that
//     has a body, from the end of its headers (bodyDeadline); a request without one (every feed
//     GET) reads nothing after its headers, so it needs none, and must get none: net/http's
//     background read, which it starts once a request's body is done, would end at the deadline
//     and cancel the request. (net/http clears the read deadline as it starts that read, so a
//     body's deadline ends with the body.) The headers keep net/http's ReadHeaderTimeout, an
//     idle connection its IdleTimeout.
//   - The write deadline (Options.WriteTimeout) is still set by net/http for every request, and
//     coarseConn passes it to the socket only when it moves past the deadline the socket already
//     has: the socket's deadline is set a slack later than asked, so that the requests of the
//     next slack ask for nothing new. An answer always gets at least the WriteTimeout it was
//     promised, and at most the slack (an eighth of it) more.

// bodyDeadline bounds the reading of r's body to timeout from now, when r has a body. A
// ResponseWriter that cannot set deadlines (a test's recorder) is left as it is.
func bodyDeadline(w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	if r.Body == nil || r.Body == http.NoBody { // net/http's for no body or Content-Length: 0
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
}

// coarseListener hands out its TCP connections as coarseConns, whose write deadlines follow the
// requests' with slack.
type coarseListener struct {
	net.Listener
	slack time.Duration
}

func (l coarseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &coarseConn{TCPConn: tc, slack: l.slack}, nil
	}
	return c, err
}

// coarseConn is a TCP connection whose write deadline is only passed to the socket when a
// request's deadline is past the socket's own or more than slack before it. Embedding the
// *net.TCPConn keeps what net/http asks of the connection (CloseWrite, ReadFrom's sendfile).
//
// Its deadlines are set from the connection's serving goroutine (net/http's, and a handler's,
// which runs on it), never concurrently. A cleared write deadline (net/http clears it after
// every answer) stays set on the socket until the next request sets its own, before it writes:
// an idle connection writes nothing. No handler of the gateway lifts a write deadline.
type coarseConn struct {
	*net.TCPConn
	slack time.Duration
	// wdl is the write deadline the socket has; zero for none.
	wdl time.Time
}

// SetWriteDeadline keeps the socket's write deadline within [t, t+slack]: unchanged when it is
// already there, else set to t+slack when t is later (so that the next requests fall within it),
// and to t exactly when t is earlier.
func (c *coarseConn) SetWriteDeadline(t time.Time) error {
	switch {
	case t.IsZero():
		return nil
	case !c.wdl.IsZero() && !t.After(c.wdl) && !t.Before(c.wdl.Add(-c.slack)):
		return nil
	case t.After(c.wdl):
		c.wdl = t.Add(c.slack)
	default:
		c.wdl = t
	}
	return c.TCPConn.SetWriteDeadline(c.wdl)
}

// SetDeadline sets both deadlines exactly (net/http clears them so when a connection is
// hijacked).
func (c *coarseConn) SetDeadline(t time.Time) error {
	c.wdl = t
	return c.TCPConn.SetDeadline(t)
}
