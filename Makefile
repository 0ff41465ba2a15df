# The README's commands: `make run` starts mpakd with example bundles,
# `make test` runs every test. CI runs `make lint test` through .ci/run.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test lint bench run fuzz clean images test-docker axe

# axe-core, the accessibility engine the web UI's browser test injects
# (registry/web), pinned and installed from npm outside the repository.
AXE_VERSION := 4.14.1
AXE_DIR     ?= $(HOME)/.cache/mpak/axe-core-$(AXE_VERSION)
MPAK_AXE_JS ?= $(AXE_DIR)/node_modules/axe-core/axe.min.js
export MPAK_AXE_JS

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/mpak ./cmd/mpak
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/mpak-trust ./cmd/mpak-trust
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/mpakd ./cmd/mpakd

test: axe
	$(GO) test -race -count=1 -timeout 30m ./...

# Without npm the accessibility test says loudly that it did not run (and
# fails in CI).
axe:
	@[ -s "$(MPAK_AXE_JS)" ] || npm install --silent --no-audit --no-fund --prefix "$(AXE_DIR)" axe-core@$(AXE_VERSION) || \
		echo "make: could not install axe-core@$(AXE_VERSION) with npm: the web UI's accessibility test will not run" >&2

lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Benchmarks compare mpak with oras-go moving the same bytes; see BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./hack/bench/ ./hack/benchrun/

# Short fuzzing passes over the parsers (the seeds also run in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseManifest -fuzztime 30s ./oci/mcpb/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./oci/ref/
	$(GO) test -run '^$$' -fuzz FuzzSelect -fuzztime 30s ./oci/resolve/
	$(GO) test -run '^$$' -fuzz FuzzParsePolicy -fuzztime 30s ./registry/auth/
	$(GO) test -run '^$$' -fuzz FuzzParseHtpasswd -fuzztime 30s ./registry/auth/
	$(GO) test -run '^$$' -fuzz FuzzParseScope -fuzztime 30s ./registry/auth/
	$(GO) test -run '^$$' -fuzz FuzzVerifyToken -fuzztime 30s ./registry/auth/
	$(GO) test -run '^$$' -fuzz FuzzPublishersAuthenticate -fuzztime 30s ./registry/auth/
	$(GO) test -run '^$$' -fuzz FuzzSubjectGlob -fuzztime 30s ./registry/auth/

run:
	hack/run-demo.sh

# FROM-scratch images mpak/mpakd:dev and mpak/registry:dev (classic builder).
images:
	hack/images/build.sh dev

# The container suite (dockertest): needs a Docker engine and `make images`.
test-docker:
	$(GO) test -tags docker -count=1 -timeout 20m ./hack/containers/

clean:
	rm -rf bin
