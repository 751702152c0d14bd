package gateway

import (
	"net/http"
	"time"
)

// DrainTimeout is how long Serve waits for in-flight requests once its listener has closed.
func (s *Server) DrainTimeout() time.Duration { return s.opts.ShutdownTimeout }

// closeWhenDraining marks every answer given while the server drains with Connection: close.
// The request on the wire is answered in full and the client then reconnects, through a load
// balancer to a replica that stays; closing idle keep-alive connections instead would break a
// request that a client is sending on one at that moment.
func (s *Server) closeWhenDraining(w http.ResponseWriter) {
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
	}
}
