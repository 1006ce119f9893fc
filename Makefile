# ccgw-harness — every job starts here. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
TARGETS   ?= $(or $(CCGW_TARGETS),targets.yaml)
TARGET    ?= $(or $(CCGW_TARGET),mock)
PLAN      ?= smoke
OUT       ?= out/$(TARGET)-$(PLAN)
MOCK_ADDR ?= 127.0.0.1:8043
FUZZTIME  ?= 60s
CONTRACT_OUT ?= out
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GINKGO    := $(GO) tool ginkgo
# Every package but the Ginkgo contract suite, which `make contract` runs with JUnit output.
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v /suites/contract)

.PHONY: help build mock test unit contract load qualify lint bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'
	@echo
	@echo "  Variables: TARGET=$(TARGET) TARGETS=$(TARGETS) PLAN=$(PLAN) OUT=$(OUT) MOCK_ADDR=$(MOCK_ADDR)"

build: ## build bin/ccgw
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/ccgw ./cmd/ccgw

mock: build ## serve the mock gateway on https://$(MOCK_ADDR) (certificate in out/mock.pem)
	@mkdir -p out
	bin/ccgw mock --addr $(MOCK_ADDR) --cert-out out/mock.pem

test: lint unit contract ## everything a commit must pass: lint, unit tests (race), contract suite, short load runs

unit: ## unit, fuzz-seed and short load tests with the race detector
	$(GO) test -race -count=1 -timeout 8m $(UNIT_PKGS)

contract: ## the Ginkgo contract suite against TARGET (JUnit + JSON into CONTRACT_OUT)
	@mkdir -p $(CONTRACT_OUT)
	$(GINKGO) -race --timeout 5m --junit-report=$(abspath $(CONTRACT_OUT))/contract-junit.xml \
		--json-report=$(abspath $(CONTRACT_OUT))/contract.json \
		$(if $(LABELS),--label-filter='$(LABELS)') ./suites/contract -- \
		--targets=$(abspath $(TARGETS)) --target=$(TARGET) $(CONTRACT_ARGS)

load: build ## one load plan: PLAN against TARGET, reports into OUT
	bin/ccgw load --targets $(TARGETS) --target $(TARGET) --plan $(PLAN) --out $(OUT)

qualify: build ## release qualification: contract suite, then the smoke plan, then the SLO gates
	@./scripts/qualify.sh "$(TARGETS)" "$(TARGET)" "$(PLAN)" "$(OUT)"

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go') ); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: ## benchmarks: mock vs bare handler, load vs vegeta CLI, report vs vegeta report, poll vs logininfo, 10k journeys
	$(GO) test -run='^$$' -bench=. -benchtime=2s -count=1 ./mockgw ./load ./reports
	@rc=0; ./scripts/bench-load.sh || rc=1; ./scripts/bench-report.sh || rc=1; \
	  if [ $$rc -ne 0 ]; then echo "bench: a target was missed (see above)"; fi; exit $$rc

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in ./gateway ./config ./reports ./load; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

clean: ## remove bin/ and out/
	rm -rf bin out
