# feedgate — common tasks. `make test` is what CI runs (plus gofmt, vet and staticcheck).
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

# What `feedgate version` and feedgate_build_info report; override e.g. `make build VERSION=v1.2.0`.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
REVISION_TIME ?= $(shell git log -1 --format=%cI 2>/dev/null)
BUILDINFO = github.com/feedgate/feedgate/internal/buildinfo
LDFLAGS = -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION) -X $(BUILDINFO).revisionTime=$(REVISION_TIME)

.PHONY: all build image test test-short lint fmt bench demo clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/ ./cmd/feedgate ./cmd/hriznsim

# The container image, stamped like `make build` (docker or podman).
image:
	$${CONTAINER:-docker} build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg REVISION_TIME=$(REVISION_TIME) -t feedgate:$(VERSION) .

test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	bench/run

demo:
	$(GO) run ./cmd/feedgate demo

clean:
	rm -rf bin
