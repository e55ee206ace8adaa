# gisgw — run `make help` for the targets.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin
FUZZTIME  ?= 3s
export CGO_ENABLED := 0
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

.DEFAULT_GOAL := help

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_\/-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/gisgw and bin/gissim
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gisgw ./cmd/gisgw
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gissim ./cmd/gissim

demo: ## run the whole job once on the demo data (simulated GIS, fresh SQLite store)
	$(GO) run ./cmd/gisgw demo

deps: ## install test prerequisites (xmllint, GOST engine, PostgreSQL, Chromium) when missing
	@bash .ci/deps.sh

test: deps verify ## run the whole test suite, then each fuzz target for 3s (installs prerequisites first; CI=true turns a missing oracle into a failure)
	$(GO) test -count=1 -timeout 12m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s

test/race: deps ## run the tests with the race detector (needs cgo)
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

generate: ## regenerate the Go types in wsdl/ from the project's WSDL with gowsdl
	$(GO) generate ./wsdl/...

verify: ## fail when regenerating wsdl/ would change anything
	@bash wsdl/verify.sh

lint: ## go vet, gofmt, staticcheck (pinned in go.mod) and go mod tidy
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) tool staticcheck ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

chaos: deps ## run the chaos test at full size: 5,000 sub-requests, 20% faults, 10+ kills, a PostgreSQL restart
	GISGW_CHAOS_N=5000 $(GO) test -count=1 -run '^TestChaos$$' -v -timeout 30m ./cmd/gisgw/

fuzz: ## run every fuzz target for FUZZTIME each (default 3s; e.g. make fuzz FUZZTIME=60s); each package's test binary is built once
	@bash .ci/fuzz.sh $(FUZZTIME)

bench: deps ## print the benchmark figures
	@bash .ci/bench.sh

.PHONY: help build demo deps test test/race generate verify lint fuzz bench chaos
