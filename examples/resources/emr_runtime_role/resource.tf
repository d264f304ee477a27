terraform {
  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

provider "emr" {
  region = "us-east-1"
}

# A cluster launched with this security configuration runs each step under
# the IAM role named at submission (--execution-role-arn), not under its
# instance profile.
resource "emr_security_configuration" "rt" {
  name = "runtime-roles"

  runtime_roles {
    propagate_source_identity = true
  }
}

# The role that an analyst's steps run as. The cluster's instance role may
# assume it; the steps may read the curated zone and write one scratch prefix.
resource "emr_runtime_role" "analyst" {
  name = "emr-rt-analyst"
  path = "/emr/"

  emr_on_ec2 {
    instance_role_arn = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
    # Assumptions must present the ExternalId EMR generated for the security
    # configuration above ("" on an emulator, which means no condition).
    external_id               = emr_security_configuration.rt.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://datalake/curated/"]
  s3_write = ["s3://datalake/scratch/analyst/"]
  kms_key_arns = [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ]

  tags = {
    team = "analytics"
  }
}

output "analyst_role_arn" {
  value = emr_runtime_role.analyst.arn
}

# Attach this to the people or roles that submit steps as the analyst role.
output "analyst_caller_policy_json" {
  value = emr_runtime_role.analyst.caller_policy_json
}
