# Make targets are the interface: run, test, bench, lint.
GO ?= go
export CGO_ENABLED ?= 0

.PHONY: run test bench soak fuzz lint build

build:
	$(GO) build -o bin/higate ./cmd/higate

## run: the gateway on 127.0.0.1:8080 with the sandbox network and a demo account
run: build
	./bin/higate serve --demo --data ./data

## test: every test, with the race detector (needs cgo for -race)
test:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

## bench: Go benchmarks and the load report (docs/BENCHMARKS.md)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: each fuzz target for a while
fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzNormalize -fuzztime=30s ./registry/phone/
	$(GO) test -run='^$$' -fuzz=FuzzNormalize -fuzztime=30s ./lang/
	$(GO) test -run='^$$' -fuzz=FuzzClassify -fuzztime=30s ./lang/

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
