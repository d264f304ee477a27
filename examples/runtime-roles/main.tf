terraform {
  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

provider "emr" {
  region = var.region
}

# Clusters launched with this configuration run each step as the runtime
# role given with the step, and pass the submitter's source identity on to
# that role's session (visible in CloudTrail).
resource "emr_security_configuration" "teams" {
  name = "teams-runtime-roles"

  runtime_roles {
    propagate_source_identity = true
  }
}

# Analysts: read the curated zone, write only their own scratch prefix.
resource "emr_runtime_role" "analysts" {
  name = "emr-rt-analysts"
  path = "/emr/"

  emr_on_ec2 {
    instance_role_arn         = var.instance_role_arn
    external_id               = emr_security_configuration.teams.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://${var.datalake_bucket}/curated/"]
  s3_write = ["s3://${var.datalake_bucket}/scratch/analysts/"]

  tags = {
    team = "analysts"
  }
}

# Data engineers: read the raw zone, publish to the curated zone.
resource "emr_runtime_role" "data_engineers" {
  name = "emr-rt-data-engineers"
  path = "/emr/"

  emr_on_ec2 {
    instance_role_arn         = var.instance_role_arn
    external_id               = emr_security_configuration.teams.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://${var.datalake_bucket}/raw/"]
  s3_write = ["s3://${var.datalake_bucket}/curated/"]

  tags = {
    team = "data-engineering"
  }
}
