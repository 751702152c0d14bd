# feedgate — common tasks. `make test` is what CI runs (plus gofmt, vet and staticcheck).
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test test-short lint fmt bench demo clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/feedgate ./cmd/hriznsim

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
