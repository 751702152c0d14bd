package gateway

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
)

// Routes lists the routes s's engine serves, so that gateway_test can compare them with
// docs/openapi.yaml.
func Routes(s *Server) gin.RoutesInfo { return s.engine.Routes() }

// AppendAccessRecord hands l the access record of a request with the given id, as the access
// log does, and returns the line l is to write for it. The record's line is estimated at 215
// bytes plus the id's length.
func AppendAccessRecord(l *LogWriter, id string) string {
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	r := accessRecord{at: at, level: slog.LevelInfo, f: accessFields{requestID: id, method: "GET",
		path: "/p", route: "/r", status: 200, remote: "192.0.2.1:5"}, peer: true}
	l.appendRecord(&r, 0)
	return string(r.appendLine(nil, &timeStamp{}))
}
