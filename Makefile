# The README's commands: `make run` starts mpakd with example bundles,
# `make test` runs every test. CI runs `make lint test` through .ci/run.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test lint lint-tools bench run fuzz clean images test-docker axe

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

# The lint tools, pinned here only; `make lint-tools` (run by .ci/run, and by
# `make lint` itself) installs a missing or differently versioned one into
# GOPATH/bin with go install from the module proxy.
# honnef.co/go/tools/cmd/staticcheck and golang.org/x/vuln/cmd/govulncheck:
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
# govulncheck's database, offline: vuln.go.dev cannot be reached, so
# hack/vulndb.sh builds it from the OSV files in golang.org/x/vulndb, fetched
# from the module proxy at this version (see the script); bump it to get
# newer advisories. Accepted findings: hack/vulncheck/accepted.txt.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB_DIR     ?= $(HOME)/.cache/mpak/vulndb-$(VULNDB_VERSION)
TOOLS_BIN      := $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin

# go_tool installs $(1) (a command path) at version $(2) unless TOOLS_BIN has
# that very build; go version -m tells which module version a binary is.
define go_tool
	@$(GO) version -m $(TOOLS_BIN)/$(notdir $(1)) 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]].*[[:space:]]$(2)[[:space:]]" || \
		{ echo "installing $(1)@$(2)"; cd / && GOFLAGS= GOBIN=$(TOOLS_BIN) $(GO) install $(1)@$(2); }
endef

lint-tools:
	$(call go_tool,honnef.co/go/tools/cmd/staticcheck,$(STATICCHECK_VERSION))
	$(call go_tool,golang.org/x/vuln/cmd/govulncheck,$(GOVULNCHECK_VERSION))
	@GO=$(GO) hack/vulndb.sh $(VULNDB_VERSION) $(VULNDB_DIR) || \
		echo "make: COULD NOT BUILD THE VULNERABILITY DATABASE (golang.org/x/vulndb@$(VULNDB_VERSION)): govulncheck will not run" >&2

# Without the vulnerability database the govulncheck step says so loudly,
# and fails in CI (CI=true).
lint: lint-tools
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags docker ./hack/containers/
	$(GO) mod tidy -diff
	$(TOOLS_BIN)/staticcheck ./...
	@if [ -s "$(VULNDB_DIR)/index/modules.json" ]; then \
		echo "govulncheck (hack/vulncheck) ./..."; \
		$(GO) run ./hack/vulncheck -govulncheck $(TOOLS_BIN)/govulncheck -db file://$(VULNDB_DIR) -accept hack/vulncheck/accepted.txt ./...; \
	else \
		echo "##########################################################################" >&2; \
		echo "make lint: GOVULNCHECK DID NOT RUN: no vulnerability database in $(VULNDB_DIR)" >&2; \
		echo "(hack/vulndb.sh could not build it; see its errors above)" >&2; \
		echo "##########################################################################" >&2; \
		[ "$${CI:-}" != true ]; \
	fi

# Benchmarks compare mpak with oras-go moving the same bytes; see BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./hack/bench/ ./hack/benchrun/

# Short fuzzing passes over the parsers (the seeds also run in `make test`).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseManifest -fuzztime 30s ./mcpb/
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
