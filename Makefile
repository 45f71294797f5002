# Frontdesk. `make run` starts everything locally; `make test` runs every check.
SHELL := /bin/bash
GO ?= go
export GOFLAGS := -buildvcs=false
# A count, not a duration: Go 1.26's fuzz coordinator can fail a clean run
# with "context deadline exceeded" when a duration ends mid-execution
# (go.dev/issue/75804, fixed in Go 1.27). About 10 s each here.
FUZZTIME ?= 100000x

.PHONY: run test check bench build tools-check

tools-check:
	@command -v $(GO) >/dev/null || { echo "Go is required (1.26 or newer): install it from https://go.dev/dl and run make again" >&2; exit 1; }

build: tools-check
	@$(GO) build -o bin/frontdesk ./cmd/frontdesk

## run: private PostgreSQL under .data/, migrations, demo data, API on :3001
run: build
	@exec ./bin/frontdesk dev $(ARGS)

## test: formatting, vet, generated code, the whole test suite (the browser
## tests' screenshots land in .data/test-artifacts), a short fuzz
test: check
	@mkdir -p .data/test-artifacts
	$(GO) test -count=1 -artifacts -outputdir $(CURDIR)/.data/test-artifacts ./...
	$(GO) test -run '^$$' -fuzz FuzzParseListFilter -fuzztime $(FUZZTIME) ./internal/calls
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./internal/providers/vapi
	$(GO) test -run '^$$' -fuzz FuzzToolArguments -fuzztime $(FUZZTIME) ./internal/providers/vapi

check: tools-check
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; fi
	$(GO) vet ./...
	$(GO) tool sqlc diff || { echo "generated code is stale: run 'go tool sqlc generate' and commit the result" >&2; exit 1; }

## bench: Go benchmarks and the dashboard load test (see README "Benchmarks")
bench: tools-check
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./internal/postgres
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./internal/bench
