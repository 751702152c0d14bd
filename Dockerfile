# syntax=docker/dockerfile:1
#
# feedgate: a static binary on a distroless base, running as a non-root user.
#   make image                                      # the gateway, version-stamped (docker or podman)
#   docker build -t feedgate .                      # the same, reported as version "devel"
#   docker build -t hriznsim --target hriznsim .    # the upstream simulator (demos, tests)
#
# Base images: pinned by tag here, because their digests could not be verified from the machine
# this was written on (no registry access). To pin by digest, pass the images with theirs, e.g.
#   --build-arg GO_IMAGE=golang:1.26@sha256:<digest> --build-arg BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:<digest>
# (`crane digest IMAGE` or `docker buildx imagetools inspect IMAGE` prints a digest).
#
# Not built on the machine this was written on (no Docker there): checked by reading.

ARG GO_IMAGE=golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Dependencies first, so that a code change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# What `feedgate version` and feedgate_build_info report (.git is not in the build context).
ARG VERSION=devel
ARG REVISION=""
ARG REVISION_TIME=""
ENV CGO_ENABLED=0
RUN BI=github.com/feedgate/feedgate/internal/buildinfo \
 && LDFLAGS="-s -w -X $BI.version=${VERSION} -X $BI.revision=${REVISION} -X $BI.revisionTime=${REVISION_TIME}" \
 && go build -trimpath -ldflags="$LDFLAGS" -o /out/feedgate ./cmd/feedgate \
 && go build -trimpath -ldflags="-s -w" -o /out/hriznsim ./cmd/hriznsim

# The simulator, for compose.yaml's demo upstream.
FROM ${BASE_IMAGE} AS hriznsim
COPY --from=build /out/hriznsim /hriznsim
USER nonroot:nonroot
EXPOSE 9090
ENTRYPOINT ["/hriznsim", "--addr", ":9090"]

# The gateway (the default target).
FROM ${BASE_IMAGE}
ARG VERSION=devel
ARG REVISION=""
LABEL org.opencontainers.image.title="feedgate" \
      org.opencontainers.image.description="Inventory feed gateway for Hrizn dealerships" \
      org.opencontainers.image.source="https://github.com/feedgate/feedgate" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/feedgate /feedgate
USER nonroot:nonroot
EXPOSE 8080
# The image has no shell or wget: the health check is the binary itself, asking its own /readyz
# (200 when ready, also when degraded; 503 while draining) on the port the configuration's
# `listen` names.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/feedgate", "serve", "--config", "/etc/feedgate/feedgate.yaml", "--probe", "/readyz"]
# SIGTERM (docker stop) drains: readiness turns 503 for shutdown_delay, then in-flight requests
# finish (serve --drain-timeout, 30s); the process exits within both together (+1s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/feedgate"]
CMD ["serve", "--config", "/etc/feedgate/feedgate.yaml"]
