# Baton: `make setup` once, then `make run` or `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
GEN := shared/gen/baton/v1/task.ts
PROTOS := $(wildcard proto/baton/v1/*.proto)
SOURCES := $(shell find bin shared coordinator worker client -name '*.ts' -not -path 'shared/gen/*' 2>/dev/null) index.ts

.PHONY: setup proto build run test test-unit test-integration test-chaos bench lint typecheck clean

setup: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## proto: lint the wire contract and generate TypeScript into shared/gen (never edit it by hand)
proto: $(NODE_MODULES)
	npx buf lint
	npx buf generate

$(GEN): $(PROTOS) buf.gen.yaml $(NODE_MODULES)
	npx buf lint
	npx buf generate

## build: compile to dist/ (bin/baton runs dist/bin/baton.js)
build: dist/.built

dist/.built: $(GEN) $(SOURCES) tsconfig.json tsconfig.build.json
	npx tsc -p tsconfig.build.json
	@touch $@

typecheck: $(GEN)
	npx tsc -p tsconfig.json --noEmit

lint: $(GEN)
	npx buf lint
	npx eslint .

## run: a coordinator on ./baton-data plus a worker running examples/handlers.mjs
run: build
	@bash scripts/run-demo.sh

## test: the whole suite (unit; integration and chaos with real processes)
test: build typecheck
	npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/chaos/**/*.test.ts'

test-unit: build
	npx mocha 'test/unit/**/*.test.ts'

test-integration: build
	npx mocha 'test/integration/**/*.test.ts'

test-chaos: build
	npx mocha 'test/chaos/**/*.test.ts'

bench: build
	node --import tsx bench/run.ts

clean:
	rm -rf dist shared/gen
