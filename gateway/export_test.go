package gateway

import "github.com/gin-gonic/gin"

// Routes lists the routes s's engine serves, so that gateway_test can compare them with
// docs/openapi.yaml.
func Routes(s *Server) gin.RoutesInfo { return s.engine.Routes() }

// AppendAccessLine hands l an access line, as the access log does.
func AppendAccessLine(l *LogWriter, line []byte) { l.appendLine(line, 0) }
