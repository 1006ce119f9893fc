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
SHARDS    ?=
IMAGE     ?= ccgw-harness:latest
K8S_TARGET  ?= staging
K8S_TARGETS ?= deploy/kubernetes/targets.yaml
# make load SHARDS=N writes into out/TARGET-PLAN-shards unless OUT is given.
SHARDS_OUT = $(if $(filter command line environment,$(origin OUT)),$(OUT),out/$(TARGET)-$(PLAN)-shards)
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GINKGO    := $(GO) tool ginkgo
# Every package but the Ginkgo contract suite, which `make contract` runs with JUnit output.
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v /suites/contract)

.PHONY: help build mock test unit contract load capacity k8s qualify lint bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'
	@echo
	@echo "  Variables: TARGET=$(TARGET) TARGETS=$(TARGETS) PLAN=$(PLAN) OUT=$(OUT) MOCK_ADDR=$(MOCK_ADDR) SHARDS=$(SHARDS)"

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

load: build ## one load plan: PLAN against TARGET, reports into OUT (SHARDS=N: N local shards, one merged verdict)
ifeq ($(SHARDS),)
	bin/ccgw load --targets $(TARGETS) --target $(TARGET) --plan $(PLAN) --out $(OUT)
else
	bin/ccgw shards --shards $(SHARDS) --targets $(TARGETS) --target $(TARGET) --plan $(PLAN) --out $(SHARDS_OUT)
endif

k8s: ## render deploy/kubernetes for SHARDS shards (default 3): out/k8s/ccgw-RUN.yaml (IMAGE, K8S_TARGET, PLAN, K8S_TARGETS, RUN_ID)
	@IMAGE='$(IMAGE)' K8S_TARGET='$(K8S_TARGET)' PLAN='$(PLAN)' K8S_TARGETS='$(K8S_TARGETS)' K8S_FILES='$(K8S_FILES)' ./scripts/k8s-render.sh '$(or $(SHARDS),3)' $(RUN_ID)

# make capacity defaults to the capacity plan against the mock with a capacity model; TARGET=,
# PLAN=, OUT= on the command line choose others, REQUIRE=R fails (exit 1) below R req/s.
capacity: TARGET = $(or $(CCGW_TARGET),mock-capacity)
capacity: PLAN = capacity
capacity: build ## capacity search: PLAN (default capacity) against TARGET (default mock-capacity), reports into OUT; REQUIRE=R gates on it
	bin/ccgw capacity --targets $(TARGETS) --target $(TARGET) --plan $(PLAN) --out $(OUT) $(if $(REQUIRE),--require $(REQUIRE))

qualify: build ## release qualification: contract suite, then the smoke plan, then the SLO gates
	@./scripts/qualify.sh "$(TARGETS)" "$(TARGET)" "$(PLAN)" "$(OUT)"

lint: ## gofmt, go vet, go mod tidy -diff and staticcheck (the pinned go tool)
	@out=$$(gofmt -l $$(git ls-files '*.go') ); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	$(GO) tool staticcheck ./...

bench: ## benchmarks: mock vs bare handler, load vs vegeta CLI, report vs vegeta report, poll vs logininfo, 10k journeys, live metrics' cost, capacity search, a distributed run's snapshots, results decoding
	$(GO) test -run='^$$' -bench=. -benchtime=2s -count=1 -timeout 30m ./mockgw ./load ./load/agents ./capacity ./dist ./reports ./results ./metrics
	@rc=0; ./scripts/bench-load.sh || rc=1; ./scripts/bench-report.sh || rc=1; ./scripts/bench-metrics.sh || rc=1; \
	  if [ $$rc -ne 0 ]; then echo "bench: a target was missed (see above)"; fi; exit $$rc

fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in ./gateway ./config ./reports/render ./load/agents; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

clean: ## remove bin/ and out/
	rm -rf bin out
