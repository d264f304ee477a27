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

# The application every run starts on (see the emr_serverless_application
# page). Its maximum capacity bounds what all runs together may use.
resource "emr_serverless_application" "spark" {
  name          = "acme-batch"
  type          = "SPARK"
  release_label = "emr-7.8.0"

  maximum_capacity {
    cpu    = "200 vCPU"
    memory = "800 GB"
  }

  network {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
    security_group_ids = ["sg-0c1d2e3f4a5b60718"]
  }
}

# The job runtime role every run uses (see the emr_serverless_dataplane
# page). It may write under s3://acme-emr-serverless/emr-serverless/ and
# only read the bucket acme-jobs, where the scripts are.
resource "emr_serverless_dataplane" "acme" {
  name                    = "acme"
  mode                    = "shared"
  shared_launch_role_name = "data-platform"

  resource_bucket   = "acme-emr-serverless"
  resource_prefix   = "emr-serverless/"
  read_bucket_names = ["acme-jobs"]

  subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
  security_group_ids = ["sg-0c1d2e3f4a5b60718"]
}

# A Step Functions state machine that starts runs of two scripts on that
# application, as that role. Its metadata is stored at
# /emr_launch/emr_serverless_job_functions/acme/nightly-etl.
resource "emr_serverless_job_function" "etl" {
  namespace          = "acme"
  name               = "nightly-etl"
  application_id     = emr_serverless_application.spark.id
  execution_role_arn = emr_serverless_dataplane.acme.job_runtime_role_arn

  # The only scripts a run may start. Whoever may write these objects decides
  # what runs, so keep them where few can write (see "Security").
  entry_points = [
    "s3://acme-jobs/spark/etl.py",
    "s3://acme-jobs/spark/backfill.py",
  ]

  # Part of every run; a run cannot change it.
  spark_submit_parameters = "--conf spark.executor.cores=4"

  # A run may set the number of executors, from 1 to 50, and no other Spark
  # setting.
  override {
    name    = "ExecutorInstances"
    conf    = "spark.executor.instances"
    minimum = 1
    maximum = 50
  }

  # No run may last longer than 4 hours; a run that names no timeout gets 4.
  max_execution_timeout_minutes = 240

  # A ceiling for every run: whatever the job runtime role may do, these runs
  # may only read the scripts and use their own data and log prefixes.
  execution_iam_policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadScripts"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["arn:aws:s3:::acme-jobs/spark/*"]
      },
      {
        Sid    = "OwnData"
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = [
          "arn:aws:s3:::acme-emr-serverless/emr-serverless/nightly-etl/*",
          "arn:aws:s3:::acme-emr-serverless/emr-serverless/logs/nightly-etl/*",
        ]
      },
      {
        Sid      = "ListOwnData"
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = ["arn:aws:s3:::acme-emr-serverless"]
        Condition = {
          StringLike = {
            "s3:prefix" = ["emr-serverless/nightly-etl/*", "emr-serverless/logs/nightly-etl/*"]
          }
        }
      },
    ]
  })

  log_uri = "s3://acme-emr-serverless/emr-serverless/logs/nightly-etl/"

  tags = {
    team = "data"
  }
}

output "state_machine_arn" {
  value = emr_serverless_job_function.etl.state_machine_arn
}

# Attach this to the users and roles that may start nightly-etl runs.
output "invoke_policy_json" {
  value = emr_serverless_job_function.etl.invoke_policy_json
}

# Everything a run is started with, shown in full by `terraform plan` once
# the application id is known.
output "definition_json" {
  value = emr_serverless_job_function.etl.definition_json
}
