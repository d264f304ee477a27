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

# An interactive Spark application whose Livy endpoint propagates the IAM
# Identity Center user's identity. The provider checks at plan time that it
# is SPARK, emr-7.8.0 or later, with the Livy endpoint enabled.
resource "emr_serverless_application" "notebooks" {
  name          = "acme-notebooks"
  type          = "SPARK"
  release_label = "emr-7.8.0"

  interactive {
    livy_endpoint_enabled = true
    studio_enabled        = true
  }

  identity_center {
    instance_arn = var.identity_center_instance_arn
  }

  initial_capacity {
    worker_type  = "DRIVER"
    worker_count = 1
    cpu          = "2 vCPU"
    memory       = "8 GB"
  }

  maximum_capacity {
    cpu    = "64 vCPU"
    memory = "256 GB"
  }

  # Give notebook users an hour of idle time before the application stops.
  auto_stop_idle_timeout_minutes = 60

  network {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tags = {
    workload = "interactive"
  }
}

# The job runtime role sessions run as. Its trust allows sts:SetContext, so
# EMR Serverless can add the user's identity to the session's credentials,
# and only the application above may use it.
resource "emr_runtime_role" "notebooks" {
  name = "acme-notebooks-tip"

  emr_serverless {
    trusted_identity_propagation = true
    application_arns             = [emr_serverless_application.notebooks.arn]
  }

  # Data access is decided per user downstream, here by Lake Formation; the
  # role itself only gets a scratch area ...
  s3_write = [var.scratch_location]

  # ... and the right to ask Lake Formation for the signed-in user's data
  # credentials.
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "LakeFormationDataAccess"
      Effect   = "Allow"
      Action   = ["lakeformation:GetDataAccess"]
      Resource = "*"
    }]
  })

  tags = {
    workload = "interactive"
  }
}
