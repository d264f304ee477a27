#!/usr/bin/env python3
"""Capture the plan and state JSON that the access review's unit tests read
(tests/fixtures/review/), from real Terraform runs of the built provider
against a local moto server.

    cargo build
    scripts/capture_review_fixtures.py TARGET_DIR/debug MOTO_SERVER TERRAFORM...

Each TERRAFORM binary's output lands in tests/fixtures/review/tf<version>/.
Account ids and ARNs are moto's (123456789012); nothing here talks to AWS.
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "review"

PROVIDER = """terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

provider "emr" {
  region = "us-east-1"
}
"""

# A runtime role that moto can create (serverless trust only: no instance role).
ROLE = """
resource "emr_runtime_role" "analyst" {
  name = "emr-rt-analyst"
  emr_serverless {
    application_arns = ["arn:aws:emr-serverless:us-east-1:123456789012:/applications/00f1abcd"]
  }
  s3_read  = [%s]
  s3_write = ["s3://datalake/scratch/analyst/"]
}
"""

# Everything the provider writes policies for, planned from nothing.
EVERYTHING = """
resource "emr_security_configuration" "rt" {
  name = "runtime-roles"
  runtime_roles {
    propagate_source_identity = true
  }
}

resource "emr_runtime_role" "analyst" {
  name = "emr-rt-analyst"
  emr_on_ec2 {
    instance_role_arn         = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    external_id               = "sc-external-id-1234"
    propagate_source_identity = true
    source_identities         = ["alice"]
  }
  emr_serverless {
    trusted_identity_propagation = true
  }
  s3_read      = ["s3://datalake/curated/"]
  s3_write     = ["s3://datalake/scratch/analyst/"]
  kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  policy_json = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "glue:GetTable", Resource = "arn:aws:glue:us-east-1:123456789012:table/curated/*" }]
  })
}

# name_prefix: the ARN, and every policy naming it, are known only after apply.
resource "emr_runtime_role" "scratch" {
  name_prefix = "emr-rt-scratch-"
  emr_serverless {}
  s3_read = ["s3://datalake/scratch/"]
}

resource "emr_launch_profile" "batch" {
  namespace = "analytics"
  name      = "batch"
  logs_uri      = "s3://acme-emr/logs/batch/"
  artifacts_uri = "s3://acme-emr/artifacts/batch/"
  s3_read       = ["s3://datalake/raw/"]
  s3_write      = ["s3://datalake/curated/"]
  kms_key_arns  = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  kerberos_attributes_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics/kerberos-AbCdEf"
}

resource "emr_cluster_configuration" "nightly" {
  namespace     = "analytics"
  name          = "nightly-spark"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-0123456789abcdef0"]
  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }
  instance_group {
    role           = "CORE"
    instance_type  = "r5.2xlarge"
    instance_count = 2
  }
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics/hive-AbCdEf"
  }
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }
}

resource "emr_launch_function" "nightly" {
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.batch
  cluster_configuration = emr_cluster_configuration.nightly
  cluster_name          = "nightly-etl"
  allowed_overrides     = ["CoreInstanceCount"]
  notifications {
    topic_arn = "arn:aws:sns:us-east-1:123456789012:emr-launches"
  }
}

module "customer" {
  source = "./customer"
}
"""

# An existing role, then the same role given a managed policy whose ARN is
# known only after apply (the ARN of something made in the same apply).
READER = """
resource "emr_runtime_role" "reader" {
  name = "emr-rt-reader"
  emr_serverless {}
  s3_read = ["s3://datalake/reference/"]
}
"""

UNKNOWN_ATTACHMENT = """
resource "emr_runtime_role" "scratch" {
  name_prefix = "emr-rt-scratch-"
  emr_serverless {}
  s3_read = ["s3://datalake/scratch/"]
}

resource "emr_runtime_role" "reader" {
  name = "emr-rt-reader"
  emr_serverless {}
  s3_read             = ["s3://datalake/reference/"]
  managed_policy_arns = [replace(emr_runtime_role.scratch.arn, ":role/", ":policy/")]
}
"""

CUSTOMER = """
terraform {
  required_providers {
    emr = { source = "emrlaunch/emr" }
  }
}

resource "emr_serverless_dataplane" "this" {
  name               = "acme"
  mode               = "private"
  resource_bucket    = "acme-emr-serverless"
  resource_prefix    = "emr-serverless/"
  subnet_ids         = %s
  security_group_ids = [%s]
  kms_key_arns       = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  read_bucket_names  = ["public-datasets"]
  control_plane {
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
  }
}
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Moto:
    def __init__(self, server):
        self.dir = tempfile.mkdtemp(prefix="review-moto-")
        self.port = free_port()
        env = dict(os.environ, MOTO_PORT=str(self.port), MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        self.proc = subprocess.Popen(
            [server, "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=self.dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def subnets(self):
        ec2 = boto3.client("ec2", endpoint_url=self.endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ids = []
        for cidr, az in [("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b")]:
            ids.append(ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"])
        sg = ec2.create_security_group(GroupName="jobs", Description="jobs", VpcId=vpc)["GroupId"]
        return ids, sg

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Workspace:
    def __init__(self, terraform, provider_dir, endpoint):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="review-tf-"))
        self.terraform = terraform
        (self.dir / "dev.tfrc").write_text(
            'provider_installation {\n  dev_overrides {\n    "emrlaunch/emr" = %s\n  }\n  direct {}\n}\n'
            % json.dumps(str(provider_dir)))
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AWS_", "TF_", "CHECKPOINT_"))}
        self.env.update(TF_CLI_CONFIG_FILE=str(self.dir / "dev.tfrc"), CHECKPOINT_DISABLE="1",
                        TF_IN_AUTOMATION="1", TF_INPUT="0", AWS_ACCESS_KEY_ID="testing",
                        AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
                        AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true",
                        AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")

    def write(self, hcl, extra=None):
        (self.dir / "main.tf").write_text(PROVIDER + hcl)
        for name, text in (extra or {}).items():
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (self.dir / name).write_text(text)

    def run(self, *args):
        p = subprocess.run([self.terraform, *args], cwd=self.dir, env=self.env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"terraform {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}")
        return p.stdout

    def version(self):
        return json.loads(self.run("version", "-json"))["terraform_version"]

    def plan_json(self):
        self.run("plan", "-out=tfplan", "-input=false", "-no-color")
        return json.loads(self.run("show", "-json", "tfplan"))

    def state_json(self):
        return json.loads(self.run("show", "-json"))


def save(dir, name, doc):
    dir.mkdir(parents=True, exist_ok=True)
    (dir / name).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")


def capture(terraform, provider_dir, moto_server):
    moto = Moto(moto_server)
    try:
        ws = Workspace(terraform, provider_dir, moto.endpoint)
        out = OUT / ("tf" + ws.version())
        subnets, sg = moto.subnets()
        ws.write(EVERYTHING, {"customer/main.tf": CUSTOMER % (json.dumps(subnets), json.dumps(sg))})
        ws.run("get", "-no-color")  # installs the local module; init would want the provider
        save(out, "create_everything.json", ws.plan_json())

        ws = Workspace(terraform, provider_dir, moto.endpoint)
        ws.write(READER)
        ws.plan_json()
        ws.run("apply", "-auto-approve", "-input=false", "tfplan")
        ws.write(UNKNOWN_ATTACHMENT)
        save(out, "unknown_attachment.json", ws.plan_json())
        ws.write("")
        ws.plan_json()
        ws.run("apply", "-auto-approve", "-input=false", "tfplan")

        ws = Workspace(terraform, provider_dir, moto.endpoint)
        one, two = '"s3://datalake/curated/"', '"s3://datalake/curated/", "s3://datalake/reference/"'
        ws.write(ROLE % one)
        save(out, "create_role.json", ws.plan_json())
        ws.run("apply", "-auto-approve", "-input=false", "tfplan")
        save(out, "state_role.json", ws.state_json())
        save(out, "replan_role.json", ws.plan_json())
        ws.write(ROLE % two)
        save(out, "widen_role.json", ws.plan_json())
        ws.run("apply", "-auto-approve", "-input=false", "tfplan")
        ws.write(ROLE % one)
        save(out, "narrow_role.json", ws.plan_json())
        ws.write("")
        save(out, "delete_role.json", ws.plan_json())
        ws.run("destroy", "-auto-approve", "-input=false")
    finally:
        moto.stop()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    provider_dir = pathlib.Path(sys.argv[1]).resolve()
    for terraform in sys.argv[3:]:
        capture(terraform, provider_dir, sys.argv[2])


if __name__ == "__main__":
    main()
