# wanderer-kills: every developer and CI entry point. Node 20 only (see README).
SHELL := /bin/bash
NODE ?= node
TEST_FILES ?= $(shell find test -name '*.test.ts' | sort)

.PHONY: all install build start demo test test-unit test-integration typecheck lint bench bench-micro bench-e2e clean
.PHONY: format format-check

all: build

# Install only when the lock file changed since the last install (node_modules/.installed).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

build: install
	npx tsc -p tsconfig.json

typecheck: install
	npx tsc -p tsconfig.json --noEmit

# Lint = types, ESLint (strict type-aware rules + the stage import boundaries) and Prettier's check.
lint: typecheck
	npx eslint --max-warnings=0 .
	npx prettier --check --log-level warn .

# Prettier: format-check lists the files that differ from .prettierrc.json; format rewrites them.
format-check: install
	npx prettier --check .

format: install
	npx prettier --write .

# Serve the live feed (R2Z2) on the embedded SQLite default.
start: build
	$(NODE) dist/src/cli/main.js serve

# The same product fed by the built-in simulator: no network needed. The simulator is
# deterministic (the same kills every run), so each demo starts from an empty database: kills
# already stored would otherwise be skipped as duplicates and nothing would be broadcast.
demo: build
	rm -f ./data/demo.db ./data/demo.db-wal ./data/demo.db-shm
	$(NODE) dist/src/cli/main.js serve --source sim --sim-rate 5 --db ./data/demo.db

# Builds dist/ too: the webhook crash test kills a real compiled `wkills serve`.
test: install lint build
	$(NODE) --import tsx --test --test-concurrency=2 --test-timeout=300000 $(TEST_FILES)

test-unit: install
	$(NODE) --import tsx --test $(shell find test/unit -name '*.test.ts' | sort)

test-integration: install
	$(NODE) --import tsx --test --test-concurrency=1 $(shell find test/integration -name '*.test.ts' | sort)

bench: build
	$(NODE) dist/src/cli/main.js bench all

bench-micro: install
	@for f in $$(find bench/micro -name '*.bench.ts' | sort); do echo "== $$f"; $(NODE) --import tsx $$f || exit 1; done

bench-e2e: build
	$(NODE) dist/src/cli/main.js bench all

clean:
	rm -rf dist
