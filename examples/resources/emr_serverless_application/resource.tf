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

# A Spark application in private subnets, with a warm driver and two warm
# executors, capped at 200 vCPU. Job logs go to S3 and CloudWatch Logs, and
# at most 20 job runs run at once; more wait in a queue for up to 2 hours.
resource "emr_serverless_application" "etl" {
  name          = "acme-etl"
  type          = "SPARK"
  release_label = "emr-7.8.0"
  architecture  = "ARM64"

  initial_capacity {
    worker_type  = "DRIVER"
    worker_count = 1
    cpu          = "4 vCPU"
    memory       = "16 GB"
  }

  initial_capacity {
    worker_type  = "EXECUTOR"
    worker_count = 2
    cpu          = "4 vCPU"
    memory       = "16 GB"
    disk         = "64 GB"
  }

  maximum_capacity {
    cpu    = "200 vCPU"
    memory = "800 GB"
  }

  auto_start                     = true
  auto_stop_idle_timeout_minutes = 15

  network {
    subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
    security_group_ids = ["sg-0c1d2e3f4a5b60718"]
  }

  monitoring {
    s3 {
      log_uri = "s3://acme-emr-serverless/emr-serverless/logs/"
    }

    cloudwatch {
      enabled        = true
      log_group_name = "/aws/emr-serverless/acme-etl"

      log_types = {
        SPARK_DRIVER   = ["STDOUT", "STDERR"]
        SPARK_EXECUTOR = ["STDERR"]
      }
    }
  }

  scheduler {
    max_concurrent_runs   = 20
    queue_timeout_minutes = 120
  }

  timeouts {
    create = "15m"
    update = "20m"
  }

  tags = {
    team = "data-engineering"
  }
}

output "application_id" {
  value = emr_serverless_application.etl.id
}

output "application_arn" {
  value = emr_serverless_application.etl.arn
}
