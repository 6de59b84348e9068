# Baton: `make setup` once, then `make run` or `make test`.
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
GEN := shared/gen/baton/v1/task.ts
PROTOS := $(wildcard proto/baton/v1/*.proto proto/google/api/*.proto)
SOURCES := $(shell find bin shared coordinator worker client -name '*.ts' -not -path 'shared/gen/*' 2>/dev/null) index.ts
DASHBOARD_SOURCES := $(shell find dashboard -type f 2>/dev/null)
DASHBOARD := dist/dashboard/app.js

# The wire contract's code: ts-proto messages and services, then the HTTP/JSON routes, schemas
# and OpenAPI document read from the descriptors (scripts/gen-http-api.ts).
define generate
	npx buf lint
	npx buf generate
	npx buf build -o shared/gen/descriptor.json
	node --import tsx scripts/gen-http-api.ts shared/gen/descriptor.json shared/gen/http
endef

.PHONY: setup proto build run test test-unit test-integration test-browser test-chaos test-fuzz fuzz bench lint typecheck clean

setup: build
	@bash scripts/install-browser.sh

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## proto: lint the wire contract and generate TypeScript into shared/gen (never edit it by hand)
proto: $(NODE_MODULES)
	$(generate)

$(GEN): $(PROTOS) buf.gen.yaml scripts/gen-http-api.ts $(NODE_MODULES)
	$(generate)

## build: compile to dist/ (bin/baton runs dist/bin/baton.js) and bundle the dashboard into dist/dashboard
build: dist/.built $(DASHBOARD)

dist/.built: $(GEN) $(SOURCES) tsconfig.json tsconfig.build.json
	npx tsc -p tsconfig.build.json
	@touch $@

$(DASHBOARD): $(DASHBOARD_SOURCES) scripts/build-dashboard.ts $(NODE_MODULES)
	node --import tsx scripts/build-dashboard.ts dist/dashboard

typecheck: $(GEN)
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p dashboard/tsconfig.json

lint: $(GEN)
	npx buf lint
	npx eslint .

## run: a coordinator on ./baton-data plus a worker running examples/handlers.mjs
run: build
	@bash scripts/run-demo.sh

## test: the whole suite (unit; integration, chaos and a 100,000-case fuzz run, with real processes)
# The fuzz run in the suite has a fixed seed, so that CI is repeatable; `make fuzz` explores.
test: build typecheck
	FUZZ_SEED=$${FUZZ_SEED:-20261201} npx mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 'test/browser/**/*.test.ts' 'test/chaos/**/*.test.ts' 'test/fuzz/**/*.test.ts'

test-unit: build
	npx mocha 'test/unit/**/*.test.ts'

test-integration: build
	npx mocha 'test/integration/**/*.test.ts'

## test-browser: the dashboard in headless Chromium (screenshots in test-output/browser)
test-browser: build
	npx mocha 'test/browser/**/*.test.ts'

test-chaos: build
	npx mocha 'test/chaos/**/*.test.ts'

test-fuzz: build
	FUZZ_SEED=$${FUZZ_SEED:-20261201} npx mocha 'test/fuzz/**/*.test.ts'

## fuzz: a longer campaign with a fresh seed: FUZZ_RUNS (default 10) times the suite's volume; FUZZ_SEED replays a run
fuzz: build
	FUZZ_RUNS=$${FUZZ_RUNS:-10} npx mocha --timeout 0 'test/fuzz/**/*.test.ts'

bench: build
	node --import tsx bench/run.ts

clean:
	rm -rf dist shared/gen
