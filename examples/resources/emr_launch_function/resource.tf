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

# An existing SNS topic that hears about every launch.
variable "launch_topic_arn" {
  type    = string
  default = "arn:aws:sns:us-east-1:123456789012:emr-launches"
}

# Who clusters run as and where (see the emr_launch_profile page).
resource "emr_launch_profile" "analytics" {
  namespace = "analytics"
  name      = "default"

  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
    service = "sg-0123456789abcdef2"
  }

  logs_uri = "s3://acme-emr/logs/analytics/"
}

# What a cluster is, and what a launch may change (see the
# emr_cluster_configuration page).
resource "emr_cluster_configuration" "small" {
  namespace     = "analytics"
  name          = "small-spark"
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
  }

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
}

# A Step Functions state machine that launches analytics/small-spark clusters
# with the analytics/default profile. Its metadata is stored at
# /emr_launch/emr_launch_functions/analytics/nightly.
resource "emr_launch_function" "nightly" {
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.analytics
  cluster_configuration = emr_cluster_configuration.small
  cluster_name          = "nightly-etl"

  # A launch may set the number of core nodes (1 to 10) and their instance
  # type (one of the configuration's allowed values), and nothing else.
  allowed_overrides = ["CoreInstanceCount", "CoreInstanceType"]

  # Fail the execution while an active cluster has the requested name.
  fail_if_cluster_running = true

  # One message per launch, successful or not.
  notifications {
    topic_arn = var.launch_topic_arn
  }

  # Set on every launched cluster; a launch cannot change these keys.
  cluster_tags = {
    cost-center = "analytics-batch"
  }

  tags = {
    team = "analytics"
  }
}

output "state_machine_arn" {
  value = emr_launch_function.nightly.state_machine_arn
}

# Attach this to the users and roles that may launch nightly clusters.
output "invoke_policy_json" {
  value = emr_launch_function.nightly.invoke_policy_json
}

# The complete RunJobFlow request every launch starts from, shown in full by
# `terraform plan`.
output "definition_json" {
  value = emr_launch_function.nightly.definition_json
}
