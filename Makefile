# Every list here comes from the crates themselves: a topic crate is a folder
# `examples-<topic>/`, a recipe is a file `src/bin/<name>.rs` in it.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
CRATES := $(patsubst %/Cargo.toml,%,$(sort $(wildcard examples-*/Cargo.toml)))
TOPICS := $(CRATES:examples-%=%)
# Recipes run by `make run` write their demo inputs and outputs here (they use
# the system temporary directory, which TMPDIR points at), never into the tree.
SCRATCH := $(CURDIR)/target/run-scratch

# (run-<topic> stays off .PHONY: phony targets skip pattern rules.)
.PHONY: help run build-release test lint loom bench bench-report bench-check mutants mutants-diff fmt clean

help: ## List the targets.
	@grep -E '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18
	@echo "Topic crates: $(TOPICS)  (make run-<topic>)"

run: $(addprefix run-,$(TOPICS)) ## Run every recipe of every crate on its default inputs (release build).
	@echo; echo "Ran $$(ls $(addsuffix /src/bin/*.rs,$(CRATES)) | wc -l) recipes; scratch files are in $(SCRATCH)"

build-release:
	$(CARGO) build --release --locked --workspace --bins

run-%: build-release ## Run the recipes of one crate, e.g. make run-threads.
	@test -d examples-$* || { echo "no crate examples-$*; topics: $(TOPICS)"; exit 2; }
	@mkdir -p $(SCRATCH)
	@for src in examples-$*/src/bin/*.rs; do \
	  bin=$$(basename "$$src" .rs); \
	  echo; echo "==> cargo run --release -p examples-$* --bin $$bin"; \
	  ( cd $(SCRATCH) && TMPDIR=$(SCRATCH) $(CARGO) run --release --locked --quiet \
	      --manifest-path $(CURDIR)/Cargo.toml -p examples-$* --bin "$$bin" ) \
	    || { echo "!! examples-$*/$$bin failed"; exit 1; }; \
	done

test: ## Build everything and run the whole test suite.
	$(CARGO) test --locked --workspace

lint: ## rustfmt check and clippy with warnings as errors, on every target.
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

# `--cfg loom` swaps the atomics and cells of the library code that uses
# `unsafe` or a subtle protocol (the spin lock, `Arc` and queue shutdown of
# examples-shared-state, the one-shot channel of examples-message-passing)
# for loom's; every crate is rebuilt with it, so it gets its own target dir
# and leaves target/ untouched.
# The clippy step lints the `cfg(loom)` code, which `make lint` never compiles.
loom: ## Model-check the library code with loom: spin lock, Arc, queue shutdown, one-shot channel (release, target/loom).
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom $(CARGO) clippy --locked -p examples-shared-state -p examples-message-passing --lib --tests -- -D warnings
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom $(CARGO) test --locked --release -p examples-shared-state -p examples-message-passing --lib

bench: ## Run every criterion benchmark (takes minutes; run it on a quiet machine).
	rm -rf target/criterion
	$(CARGO) bench --locked --workspace

bench-report: bench ## Run the benchmarks, then write BENCHMARKS.md from that run's results.
	$(CARGO) run --locked --release --quiet -p bench-report -- --output BENCHMARKS.md

bench-check: ## Build the benchmarks and run each one once (criterion's test mode), as CI does.
	$(CARGO) test --locked --workspace --benches

# cargo-mutants injects bugs (a `+` made `-`, a function returning a default)
# and runs the mutated crate's tests: a mutant the tests pass is a bug they
# miss. Not part of `make test` or CI: the whole workspace takes hours.
MUTANTS_BASE ?= origin/main
mutants: ## Mutation-test the whole workspace (hours; needs `cargo install --locked cargo-mutants`).
	$(CARGO) mutants --workspace

mutants-diff: ## Mutation-test only the code changed since MUTANTS_BASE (default origin/main), before a commit.
	@mkdir -p target
	git diff $(MUTANTS_BASE) > target/mutants.diff
	$(CARGO) mutants --workspace --in-diff target/mutants.diff

fmt: ## Format the code.
	$(CARGO) fmt --all

clean: ## Remove build artefacts and scratch files.
	$(CARGO) clean
