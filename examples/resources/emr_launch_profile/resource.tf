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

# Without a roles block, the provider creates the cluster's roles:
#   analytics-default-emr-service      (EMR service role)
#   analytics-default-emr-instance     (EC2 instance role and instance profile)
#   analytics-default-emr-autoscaling  (autoscaling role)
# and stores the profile at /emr_launch/emr_profiles/analytics/default.
resource "emr_launch_profile" "analytics" {
  namespace   = "analytics"
  name        = "default"
  description = "Shared analytics clusters"

  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
    service = "sg-0123456789abcdef2"
  }

  # The instance role may write cluster logs here and read bootstrap
  # scripts and jars there.
  logs_uri      = "s3://acme-emr/logs/analytics/"
  artifacts_uri = "s3://acme-emr/artifacts/analytics/"

  s3_read = ["s3://datalake/reference/"]
  kms_key_arns = [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ]

  tags = {
    team = "analytics"
  }
}

output "instance_profile_arn" {
  value = emr_launch_profile.analytics.instance_profile_arn
}

# Exactly what is stored in SSM Parameter Store; shown in full by
# `terraform plan`.
output "metadata_json" {
  value = emr_launch_profile.analytics.metadata_json
}
