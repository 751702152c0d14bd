# syntax=docker/dockerfile:1
#
# feedgate: a static binary on a distroless base, running as a non-root user.
#   docker build -t feedgate .                      # the gateway
#   docker build -t hriznsim --target hriznsim .    # the upstream simulator (demos, tests)
#
# Not built on the machine this was written on (no Docker there): checked by reading.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ENV CGO_ENABLED=0
RUN go build -trimpath -ldflags="-s -w" -o /out/feedgate ./cmd/feedgate \
 && go build -trimpath -ldflags="-s -w" -o /out/hriznsim ./cmd/hriznsim

# The simulator, for compose.yaml's demo upstream.
FROM gcr.io/distroless/static-debian12:nonroot AS hriznsim
COPY --from=build /out/hriznsim /hriznsim
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/hriznsim", "--addr", ":9090"]

# The gateway (the default target). The image has no shell or wget: the health check is the
# binary itself, asking its own /readyz (200 when ready, also when degraded; 503 while draining).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/feedgate /feedgate
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/feedgate", "serve", "--probe", "http://127.0.0.1:8080/readyz"]
# SIGTERM (docker stop) drains: readiness turns 503 for shutdown_delay, then in-flight requests
# finish (serve --drain-timeout, 30s); the process exits within both together (+1s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/feedgate"]
CMD ["serve", "--config", "/etc/feedgate/feedgate.yaml"]
