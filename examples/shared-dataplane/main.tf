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

# The shared data plane lives in the control plane's own account. It creates
# the job runtime role `sdp-emr-serverless-job-runtime` and grants the
# existing shared role the right to launch applications and jobs with it
# (inline policy `emr-serverless-launch-sdp`). The shared role itself is not
# otherwise changed, and is left alone on destroy.
resource "emr_serverless_dataplane" "sdp" {
  name                    = "sdp"
  mode                    = "shared"
  shared_launch_role_name = var.shared_launch_role_name

  resource_bucket    = var.resource_bucket
  resource_prefix    = "emr-serverless/"
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids
  kms_key_arns       = var.kms_key_arns

  # Public sample data that jobs may read.
  read_bucket_names = ["public-datasets"]

  tags = {
    data-plane = "shared"
  }
}

# A Spark application in the data plane's network, for batch jobs that run as
# the data plane's job runtime role.
resource "emr_serverless_application" "batch" {
  name          = "sdp-batch"
  type          = "SPARK"
  release_label = "emr-7.8.0"

  maximum_capacity {
    cpu    = "400 vCPU"
    memory = "1600 GB"
  }

  auto_stop_idle_timeout_minutes = 10

  network {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tags = {
    data-plane = "shared"
  }
}
