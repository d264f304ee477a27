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

# A private data plane in the customer's account: a job runtime role for the
# Spark jobs, and a launch role that only the control plane account may
# assume, and only with the external id.
resource "emr_serverless_dataplane" "acme" {
  name = "acme"
  mode = "private"

  # Existing bucket for logs and staged files; jobs and the launch role may
  # use only this prefix of it.
  resource_bucket = "acme-emr-serverless"
  resource_prefix = "emr-serverless/"

  # Checked during plan: both subnets exist, in two availability zones, and
  # the security group exists.
  subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
  security_group_ids = ["sg-0c1d2e3f4a5b60718"]

  kms_key_arns = [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ]
  read_bucket_names   = ["public-datasets"]
  assumable_role_arns = ["arn:aws:iam::123456789012:role/acme-data-access"]

  control_plane {
    principal_arn = "arn:aws:iam::999988887777:role/control-plane"
    # external_id is left out: the provider generates one when the data
    # plane is created and keeps it afterwards.
  }

  # Send the control plane metadata to the control plane's queue when the
  # data plane is created or its message changes, and announce its deletion.
  # The queue's policy must let this Terraform identity send to it.
  control_plane_message {
    sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/999988887777/dataplanes"
  }

  tags = {
    customer = "acme"
  }
}

output "job_runtime_role_arn" {
  value = emr_serverless_dataplane.acme.job_runtime_role_arn
}

output "launch_role_arn" {
  value = emr_serverless_dataplane.acme.launch_role_arn
}

# The message the control plane configures itself from. It contains the
# external id, so the output is sensitive: read it with
# `terraform output -raw control_plane_metadata`.
output "control_plane_metadata" {
  value     = emr_serverless_dataplane.acme.control_plane_metadata
  sensitive = true
}
