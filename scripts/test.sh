#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, unit, integration and
# differential tests. This is the command the README and CI use.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo build --release -p lodestone-server
cargo test --workspace --release
