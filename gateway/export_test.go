package gateway

import "github.com/gin-gonic/gin"

// Routes lists the routes s's engine serves, so that gateway_test can compare them with
// docs/openapi.yaml.
func Routes(s *Server) gin.RoutesInfo { return s.engine.Routes() }
