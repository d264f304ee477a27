# Developer entry points. `make test` works from a fresh clone: it installs the
# test tools (moto, Terraform 1.0.3) into .tools/ first.
SHELL := /bin/bash

VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
PLUGIN_DIR := $(HOME)/.terraform.d/plugins/registry.terraform.io/emrlaunch/emr/$(VERSION)/linux_amd64
TOOLS := $(CURDIR)/.tools

# The acceptance tests run against every Terraform listed here (colon-separated).
EMR_TEST_MOTO_SERVER ?= $(TOOLS)/venv/bin/moto_server
EMR_TEST_TERRAFORM ?= $(TOOLS)/terraform-1.0.3/terraform:$(shell command -v terraform)
export EMR_TEST_MOTO_SERVER EMR_TEST_TERRAFORM

.PHONY: all tools build test test-faults corpus lint install demo fuzz bench clean-tools

all: build

tools:
	@scripts/tools.sh

build:
	cargo build

test: tools
	cargo test --all-targets --no-fail-fast

# The fault cycles at full length (make test runs 3 of them): 20 apply/destroy
# cycles of the complete example with 10% of AWS calls faulted. Set
# EMR_FAULT_SEED to repeat a run; EMR_FAULT_CYCLES / EMR_FAULT_RATE to vary it.
EMR_FAULT_CYCLES ?= 20
test-faults: tools
	EMR_FAULT_CYCLES=$(EMR_FAULT_CYCLES) cargo test --test acceptance_faults -- --nocapture

# Captures the requests Terraform 1.0.3 and the PATH's Terraform send into
# tests/fixtures/tfplugin-captures/ (read by tests/protocol_corpus.rs), with a
# provider built with the `capture` feature.
corpus: tools
	cargo test --features capture --test protocol_corpus -- --ignored capture_the_corpus

lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p floor-provider -- -D warnings

install:
	cargo build --release
	mkdir -p "$(PLUGIN_DIR)"
	install -m 0755 target/release/terraform-provider-emr "$(PLUGIN_DIR)/terraform-provider-emr_v$(VERSION)"
	@echo "installed $(PLUGIN_DIR)/terraform-provider-emr_v$(VERSION)"

demo: tools
	scripts/demo.sh

fuzz:
	@if cargo fuzz --help >/dev/null 2>&1; then \
		RUSTC_BOOTSTRAP=1 cargo fuzz run decode_msgpack -- -max_total_time=60; \
	else \
		echo "cargo-fuzz is not installed. Install it with:"; \
		echo "    cargo install cargo-fuzz"; \
		echo "(no nightly toolchain needed: RUSTC_BOOTSTRAP=1 lets the stable one build with sanitizers),"; \
		echo "then run 'make fuzz' again."; \
		exit 1; \
	fi

# Figures of the README's "Performance" section. Needs moto (`make tools`) and
# Terraform on PATH (or EMR_BENCH_TERRAFORM). The provider measured is the
# binary of `cargo build --release`, copied aside: building the bench enables
# dev-dependency features in the provider's dependencies (rcgen on aws-lc), and
# the binary Cargo builds for it is not the one that ships. The floor provider
# (benches/floor-provider: the same plugin stack with nothing in it) is built
# the same way, for the validate comparison.
bench: tools
	@set -euo pipefail; \
	exe=$$(cargo build --release --bin terraform-provider-emr --message-format=json-render-diagnostics \
		| sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1); \
	test -x "$$exe"; \
	dir="$$(dirname "$$exe")/bench-provider"; \
	mkdir -p "$$dir"; \
	cp "$$exe" "$$dir/terraform-provider-emr"; \
	floor=$$(cargo build --release -p floor-provider --message-format=json-render-diagnostics \
		| sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1); \
	test -x "$$floor"; \
	mkdir -p "$$dir/floor"; \
	cp "$$floor" "$$dir/floor/terraform-provider-emr"; \
	EMR_BENCH_PROVIDER="$$dir/terraform-provider-emr" \
	EMR_BENCH_FLOOR_PROVIDER="$$dir/floor/terraform-provider-emr" \
	cargo bench --bench perf

clean-tools:
	rm -rf "$(TOOLS)"
