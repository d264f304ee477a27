#!/usr/bin/env bash
# Demo: what the provider is for, end to end, against a local AWS emulator
# (moto) with the freshly built provider. A platform team applies
# examples/complete, a reviewer reads the access review of the plan, a data
# engineer launches one cluster within the bounds and is refused one outside
# them, and everything is destroyed.
# Needs `make tools` first (make demo does that). Nothing leaves this machine:
# moto listens on 127.0.0.1 only, and AWS_ENDPOINT_URL points everything at it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLE="$ROOT/examples/complete"
MOTO="${EMR_TEST_MOTO_SERVER:-$ROOT/.tools/venv/bin/moto_server}"
PY="$ROOT/.tools/venv/bin/python"
AWSPY="$ROOT/scripts/demo_aws.py"
TERRAFORM="${TERRAFORM:-terraform}"
TARGET="${CARGO_TARGET_DIR:-target}"
[[ "$TARGET" == /* ]] || TARGET="$ROOT/$TARGET"   # cargo reads it relative to $ROOT
PROVIDER="$TARGET/debug/terraform-provider-emr"
SHARED_ROLE="role_trusted_user"

[[ -f "$EXAMPLE/main.tf" ]] || { echo "demo: no example at $EXAMPLE" >&2; exit 1; }
[[ -x "$MOTO" ]] || { echo "demo: $MOTO missing; run 'make tools'" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }
say() { if (($#)); then printf "   %s\n" "$*"; else echo; fi; }

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
trap 'exit 130' INT TERM   # so that cleanup runs on Ctrl-C and kill too
failed() {
  echo "demo: failed at line $1" >&2
  [[ -s "$WORK/stderr.log" ]] && cat "$WORK/stderr.log" >&2
  return 0
}
trap 'failed $LINENO' ERR

# Run a command with its output in $WORK/<log>; show the log only on failure.
quiet() {
  local log="$WORK/$1"
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "demo: '$*' failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

echo "== building the provider"
(cd "$ROOT" && cargo build --quiet)
[[ -x "$PROVIDER" ]] || { echo "demo: no provider at $PROVIDER" >&2; exit 1; }
SECONDS=0

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
ENDPOINT="http://127.0.0.1:$PORT"
echo "== starting the AWS emulator (moto) on $ENDPOINT"
(cd "$WORK" && MOTO_PORT="$PORT" MOTO_IAM_LOAD_MANAGED_POLICIES=true \
  exec "$MOTO" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1) &
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

# dev_overrides: use the provider just built, without a registry (and so
# without `terraform init`).
cat >"$WORK/dev.tfrc" <<HCL
provider_installation {
  dev_overrides {
    "emrlaunch/emr" = "$TARGET/debug"
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

mkdir -p "$WORK/tf"
cp "$EXAMPLE"/*.tf "$WORK/tf/"
cd "$WORK/tf"
tf() { "$TERRAFORM" "$@"; }
TF_VERSION="$(tf version 2>>"$WORK/stderr.log")"
echo "== using ${TF_VERSION%%$'\n'*} ($(command -v "$TERRAFORM"))"

step "1. The platform team writes down the rules"
say "This provider is for platform teams that decide how EMR is used:"
say "who may launch which clusters, with which roles, and which secrets."
say "Nobody else needs EMR or IAM rights; a launch can only stay in bounds."
say
say "The configuration is examples/complete/main.tf. It declares:"
say "- a shared EMR Serverless data plane for the platform's own jobs,"
say "- a private data plane for each of three customers (acme, globex,"
say "  initech), each with its own external id and control-plane message,"
say "- a security configuration and runtime roles for two teams,"
say "- a launch profile (the roles clusters run as), a cluster"
say "  configuration (with a secret and bounded overrides),"
say "- a launch function: the one way to start such a cluster."
say
say "What a real account already has is created in the emulator first:"
"$PY" "$AWSPY" setup "$SHARED_ROLE" "$WORK/tf/terraform.tfvars.json"

step "2. terraform plan: every role and policy, before anything exists"
quiet plan.log tf plan -no-color -input=false -out=plan.bin
sed -n 's/^  # \(.*\) will be created$/   + \1/p' "$WORK/plan.log"
grep '^Plan:' "$WORK/plan.log" | sed 's/^/   /'

step "3. A reviewer reads the access review of that plan"
say "Raw policies spread over ten resources are hard to read. The provider"
say "reads the plan (no AWS calls) and lists every grant in it: who can"
say "launch, assume, pass which role, read which secret, touch which data."
say
say "terraform show -json plan.bin | terraform-provider-emr review"
say
if tf show -json plan.bin 2>"$WORK/show.err" | "$PROVIDER" review >"$WORK/review.md" 2>"$WORK/review.err"; then
  cat "$WORK/review.md"
elif grep -q "unknown argument" "$WORK/review.err"; then
  say "(this build of terraform-provider-emr has no 'review' command yet;"
  say " it will print who may launch, assume, pass and read what.)"
else
  echo "demo: the access review failed:" >&2
  cat "$WORK/show.err" "$WORK/review.err" >&2
  exit 1
fi

step "4. The platform team applies the plan"
quiet apply.log tf apply -no-color -input=false plan.bin
grep '^Apply complete' "$WORK/apply.log" | sed 's/^/   /'
SM="$(tf output -raw state_machine_arn 2>>"$WORK/stderr.log")"
# Security configurations by name, for the check after destroy.
read -r -a SECURITY_CONFIGURATIONS < <(tf show -json 2>>"$WORK/stderr.log" | "$PY" -c '
import json, sys
res = json.load(sys.stdin)["values"]["root_module"]["resources"]
print(" ".join(r["values"]["name"] for r in res if r["type"] == "emr_security_configuration"))
')
say "A second plan reads every role, policy and parameter back from AWS:"
if tf plan -no-color -input=false -detailed-exitcode >"$WORK/replan.log" 2>&1; then
  say "No changes. What was planned is what exists."
else
  echo "demo: the plan after apply is not empty:" >&2
  cat "$WORK/replan.log" >&2
  exit 1
fi
say
tf output -json 2>>"$WORK/stderr.log" | "$PY" "$AWSPY" applied "$SHARED_ROLE"

step "5. A data engineer launches a cluster"
say "They start the launch function's state machine with a cluster name,"
say "a tag and an override the configuration allows. Everything else (roles,"
say "network, security configuration, the secret) was fixed at plan time."
"$PY" "$AWSPY" launch "$SM" data-engineer-launch-1 \
  '{"ClusterName": "nightly-etl", "Overrides": {"CoreInstanceCount": 3}, "Tags": [{"Key": "ticket", "Value": "DATA-101"}]}'

step "6. A launch outside the bounds is refused"
say "The same engineer asks for 50 core nodes; the configuration allows 1 to 10."
"$PY" "$AWSPY" refused "$SM" data-engineer-launch-2 \
  '{"ClusterName": "nightly-etl-big", "Overrides": {"CoreInstanceCount": 50}}'

step "7. terraform destroy, and the emulator is empty"
quiet destroy.log tf destroy -no-color -input=false -auto-approve
grep '^Destroy complete' "$WORK/destroy.log" | sed 's/^/   /'
say "The launched cluster is not Terraform's: it would stop after an hour idle."
say "The demo terminates it:"
"$PY" "$AWSPY" terminate-clusters
say
say "What is left in the emulator ($SHARED_ROLE existed before, and stays):"
"$PY" "$AWSPY" empty "$SHARED_ROLE" "${SECURITY_CONFIGURATIONS[@]}"

echo
echo "== demo done in ${SECONDS}s (after the build)"
