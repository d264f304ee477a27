terraform {
  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

provider "emr" {
  region = "us-east-1"

  default_tags = {
    managed-by = "terraform"
  }
}

# Clusters launched with the analytics profile encrypt EMRFS data in S3 and
# run each step as the runtime role named when it is submitted.
resource "emr_security_configuration" "analytics" {
  name = "analytics"

  runtime_roles {
    propagate_source_identity = true
  }

  encryption {
    at_rest_s3 {
      mode        = "SSE-KMS"
      kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
}

# The profile: which roles, network and storage every analytics cluster
# launches with. Without a roles block the provider creates the service role,
# the EC2 instance role with its instance profile, and the autoscaling role:
#   analytics-default-emr-service
#   analytics-default-emr-instance
#   analytics-default-emr-autoscaling
resource "emr_launch_profile" "analytics" {
  namespace   = "analytics"
  name        = "default"
  description = "Shared analytics clusters"

  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
    service = "sg-0123456789abcdef2"
  }

  security_configuration = emr_security_configuration.analytics.name

  # The instance role may write logs here and read bootstrap scripts there.
  logs_uri      = "s3://acme-emr/logs/analytics/"
  artifacts_uri = "s3://acme-emr/artifacts/analytics/"

  # What the cluster's nodes themselves may touch. Steps that run as a
  # runtime role get that role's permissions instead.
  s3_read = ["s3://datalake/reference/"]
  kms_key_arns = [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ]

  # Session Manager access to the nodes, in place of SSH keys.
  instance_role_managed_policy_arns = [
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
  ]

  tags = {
    team = "analytics"
  }
}

# A small Spark and Hive cluster on instance groups. A launch may change the
# number of core nodes, between 1 and 10, and nothing else.
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
    args = ["--requirements", "s3://acme-emr/artifacts/analytics/requirements.txt"]
  }

  # Terminate after an hour without work.
  idle_timeout_seconds = 3600

  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }

  tags = {
    team = "analytics"
  }
}

# A larger cluster on instance fleets, spread over three subnets, with managed
# scaling and a Hive metastore whose password stays in Secrets Manager.
resource "emr_cluster_configuration" "large" {
  namespace     = "analytics"
  name          = "large-spark"
  description   = "Nightly Spark batch"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids = [
    "subnet-0123456789abcdef0",
    "subnet-0123456789abcdef1",
    "subnet-0123456789abcdef2",
  ]

  instance_fleet {
    role                      = "MASTER"
    target_on_demand_capacity = 1

    instance_type_config {
      instance_type = "m5.2xlarge"
    }

    instance_type_config {
      instance_type = "m6i.2xlarge"
    }
  }

  instance_fleet {
    role                      = "CORE"
    target_on_demand_capacity = 4
    target_spot_capacity      = 12

    instance_type_config {
      instance_type                              = "r5.4xlarge"
      weighted_capacity                          = 2
      bid_price_as_percentage_of_on_demand_price = 100

      ebs {
        volume_type          = "gp3"
        size_gb              = 256
        volumes_per_instance = 2
      }
    }

    instance_type_config {
      instance_type                              = "r6i.4xlarge"
      weighted_capacity                          = 2
      bid_price_as_percentage_of_on_demand_price = 100

      ebs {
        volume_type          = "gp3"
        size_gb              = 256
        volumes_per_instance = 2
      }
    }
  }

  managed_scaling {
    unit_type                        = "InstanceFleetUnits"
    minimum_capacity_units           = 4
    maximum_capacity_units           = 64
    maximum_on_demand_capacity_units = 8
  }

  step_concurrency_level = 4
  idle_timeout_seconds   = 1800

  configurations_json = jsonencode([
    {
      Classification = "hive-site"
      Properties = {
        "javax.jdo.option.ConnectionURL"      = "jdbc:mysql://metastore.internal:3306/hive"
        "javax.jdo.option.ConnectionUserName" = "hive"
      }
    },
  ])

  # The request carries only the ARN, as
  # "EMR.secret@javax.jdo.option.ConnectionPassword"; EMR reads the
  # plaintext secret when it configures the nodes. A launch function for
  # this configuration lets the profile's service role read exactly it.
  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics/hive-metastore-password-AbCdEf"
  }

  # Bounded: a launch may choose the core fleet's Spot capacity from 0 to 48
  # units, and the idle timeout from 10 minutes to 2 hours.
  override {
    name    = "CoreSpotCapacity"
    path    = "Instances.InstanceFleets[1].TargetSpotCapacity"
    minimum = 0
    maximum = 48
  }

  override {
    name    = "IdleTimeout"
    path    = "AutoTerminationPolicy.IdleTimeout"
    minimum = 600
    maximum = 7200
  }

  tags = {
    team = "analytics"
  }
}

# Steps on analytics clusters run as this role, not as the instance role.
# The profile's instance role may assume it (the provider adds that grant to
# the instance role), and only from clusters launched with the security
# configuration above.
resource "emr_runtime_role" "analyst" {
  name = "analytics-rt-analyst"

  emr_on_ec2 {
    instance_role_arn         = emr_launch_profile.analytics.instance_role_arn
    external_id               = emr_security_configuration.analytics.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://datalake/curated/"]
  s3_write = ["s3://datalake/scratch/analyst/"]

  tags = {
    team = "analytics"
  }
}
