# Make targets are the interface: run, test, bench, lint.
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: run test bench soak fuzz lint build bench-tools screenshots

build:
	$(GO) build -o bin/higate ./cmd/higate

## run: the gateway on 127.0.0.1:8080 with the sandbox network and a demo account
run: build
	./bin/higate serve --demo --data ./data

## test: every test, with the race detector; installs gcc (for -race) and
## Chromium (for the browser tests) first where they are missing
test:
	@scripts/test-deps.sh
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

## screenshots: the browser tests again, saving a PNG of each page into
## docs/screenshots (README links them). Fonts for every script make them
## read right: apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji.
screenshots:
	HIGATE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run . ./web/ui/...

## bench: Go benchmarks, then the load report: accept (also with 100,000 jobs
## scheduled), pipeline, registration, scale (1M registrations), fairness on a
## paced number and 20 kill -9 cycles against the real server, side by side
## with a bare net/http baseline; prints the table and writes
## docs/BENCHMARKS.md. About 15 minutes. BENCH_FLAGS passes flags to
## cmd/higate-bench (e.g. BENCH_FLAGS='-rounds 1 -stages accept').
BENCH_OUT ?= bin/bench
BENCH_FLAGS ?=
bench: bench-tools
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=1s ./registry/ ./web/ ./gateway/... ./lang/ 2>&1 | tee $(BENCH_OUT)/gobench.txt
	@! grep -q '^FAIL' $(BENCH_OUT)/gobench.txt
	$(BENCH_OUT)/higate-bench -server $(BENCH_OUT)/higate-benchserver -profiles $(BENCH_OUT) \
		-gobench $(BENCH_OUT)/gobench.txt -report docs/BENCHMARKS.md $(BENCH_FLAGS)

## soak: SOAK (default 5m) of steady mixed load at SOAK_RATE requests/s; checks
## that RSS, goroutines and open files stay flat and writes the soak section of
## docs/BENCHMARKS.md. Not in CI.
SOAK ?= 5m
SOAK_RATE ?= 400
soak: bench-tools
	$(BENCH_OUT)/higate-bench -server $(BENCH_OUT)/higate-benchserver -profiles $(BENCH_OUT) \
		-soak $(SOAK) -soak-rate $(SOAK_RATE) -report docs/BENCHMARKS.md

# The server under test is cmd/higate with a pprof listener (-tags benchdebug).
bench-tools:
	@mkdir -p $(BENCH_OUT)
	$(GO) build -tags benchdebug -o $(BENCH_OUT)/higate-benchserver ./cmd/higate
	$(GO) build -o $(BENCH_OUT)/higate-bench ./cmd/higate-bench

## fuzz: each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
FUZZ_TARGETS = ./registry/phone:FuzzNormalize ./registry:FuzzDecodeJob ./registry:FuzzMessageIDs ./lang:FuzzNormalize ./lang:FuzzClassify ./lang:FuzzEmojify \
	./web:FuzzSendBody ./web:FuzzSandboxInbound ./web/webhook:FuzzVerify ./web/webhook:FuzzCheckURL ./web/paypal:FuzzParseEvent
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(FUZZTIME) $${t%%:*}; \
	done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
