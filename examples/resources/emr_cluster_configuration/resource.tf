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

# A small Spark and Hive cluster, stored at
# /emr_launch/cluster_configurations/analytics/small-spark.
resource "emr_cluster_configuration" "small" {
  namespace     = "analytics"
  name          = "small-spark"
  description   = "Spark and Hive for ad hoc work"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids    = ["subnet-0123456789abcdef0"]

  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }

  instance_group {
    role           = "CORE"
    instance_type  = "m5.2xlarge"
    instance_count = 2

    ebs {
      volume_type = "gp3"
      size_gb     = 128
    }
  }

  configurations_json = jsonencode([
    {
      Classification = "spark-defaults"
      Properties = {
        "spark.dynamicAllocation.enabled" = "true"
      }
    },
  ])

  bootstrap_action {
    name = "install-libraries"
    path = "s3://acme-emr/artifacts/analytics/bootstrap/install-libraries.sh"
  }

  # Terminate after an hour without work.
  idle_timeout_seconds = 3600

  # A launch may set the number of core nodes (the second instance_group
  # above) to anything from 1 to 10, and their instance type to one of two,
  # and may change nothing else.
  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }

  override {
    name           = "CoreInstanceType"
    path           = "Instances.InstanceGroups[1].InstanceType"
    allowed_values = ["m5.2xlarge", "r5.2xlarge"]
  }

  tags = {
    team = "analytics"
  }
}

# The RunJobFlow request this configuration describes, shown in full by
# `terraform plan`.
output "run_job_flow_json" {
  value = emr_cluster_configuration.small.run_job_flow_json
}
