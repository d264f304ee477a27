#!/usr/bin/env bash
# Demo: apply the emr_security_configuration example against a local AWS
# emulator (moto) with the freshly built provider, show the result, destroy it.
# Needs `make tools` first (make demo does that). Nothing leaves this machine:
# moto listens on 127.0.0.1 only, and AWS_ENDPOINT_URL points the provider at it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLE="${EXAMPLE:-$ROOT/examples/resources/emr_security_configuration/resource.tf}"
MOTO="${EMR_TEST_MOTO_SERVER:-$ROOT/.tools/venv/bin/moto_server}"
PY="$ROOT/.tools/venv/bin/python"
TERRAFORM="${TERRAFORM:-terraform}"

[[ -f "$EXAMPLE" ]] || { echo "demo: no example at $EXAMPLE" >&2; exit 1; }
[[ -x "$MOTO" ]] || { echo "demo: $MOTO missing; run 'make tools'" >&2; exit 1; }

echo "== building the provider"
(cd "$ROOT" && cargo build --quiet)

WORK="$(mktemp -d -t emr-demo-XXXXXX)"
MOTO_PID=""
cleanup() {
  if [[ -n "$MOTO_PID" ]]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
echo "== starting the AWS emulator on $ENDPOINT"
MOTO_PORT="$PORT" MOTO_IAM_LOAD_MANAGED_POLICIES=true \
  "$MOTO" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!

# Wait (bounded) until it answers, and let Step Functions executions run.
"$PY" - "$ENDPOINT" <<'PY' || { echo "demo: emulator did not start:" >&2; cat "$WORK/moto.log" >&2; exit 1; }
import sys, time, urllib.request
url = sys.argv[1] + "/moto-api/config"
body = b'{"stepfunctions":{"execute_state_machine":true}}'
deadline = time.time() + 60
while True:
    try:
        urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=5)
        break
    except OSError:
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(0.2)
PY

mkdir -p "$WORK/tf"
cp "$EXAMPLE" "$WORK/tf/main.tf"
# The example may leave the provider requirements to the reader.
if ! grep -q 'required_providers' "$WORK/tf/main.tf"; then
  cat >"$WORK/tf/terraform.tf" <<'HCL'
terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}
HCL
fi
if ! grep -q 'provider "emr"' "$WORK/tf/main.tf"; then
  echo 'provider "emr" {}' >"$WORK/tf/provider.tf"
fi

# dev_overrides: use target/debug/terraform-provider-emr without a registry
# (and so without `terraform init`).
cat >"$WORK/dev.tfrc" <<HCL
provider_installation {
  dev_overrides {
    "emrlaunch/emr" = "$ROOT/target/debug"
  }
  direct {}
}
HCL

# A hermetic environment: no real AWS profile or credentials can be used.
for v in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p; s/^\(TF_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$v"
done
export TF_CLI_CONFIG_FILE="$WORK/dev.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="$ENDPOINT" AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$WORK/none" AWS_SHARED_CREDENTIALS_FILE="$WORK/none"

cd "$WORK/tf"
echo "== $("$TERRAFORM" version | head -n1): apply $(realpath --relative-to="$ROOT" "$EXAMPLE")"
"$TERRAFORM" apply -auto-approve -input=false
echo "== terraform output"
"$TERRAFORM" output
echo "== terraform show"
"$TERRAFORM" show
echo "== terraform destroy"
"$TERRAFORM" destroy -auto-approve -input=false
echo "== demo done"
