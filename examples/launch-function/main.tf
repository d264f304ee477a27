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

# Clusters launched with the batch profile encrypt EMRFS data in S3.
resource "emr_security_configuration" "batch" {
  name = "analytics-batch"

  encryption {
    at_rest_s3 {
      mode        = "SSE-KMS"
      kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    }
  }
}

# The profile. Without a roles block the provider creates
#   analytics-batch-emr-service
#   analytics-batch-emr-instance (and its instance profile)
#   analytics-batch-emr-autoscaling
# These three are the only roles the launch functions below may pass.
resource "emr_launch_profile" "batch" {
  namespace   = "analytics"
  name        = "batch"
  description = "Scheduled analytics batch clusters"

  security_groups {
    master  = "sg-0123456789abcdef0"
    workers = "sg-0123456789abcdef1"
    service = "sg-0123456789abcdef2"
  }

  security_configuration = emr_security_configuration.batch.name

  logs_uri      = "s3://acme-emr/logs/batch/"
  artifacts_uri = "s3://acme-emr/artifacts/batch/"
  s3_read       = ["s3://datalake/raw/"]
  s3_write      = ["s3://datalake/curated/"]
  kms_key_arns = [
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  ]

  tags = {
    team = "analytics"
  }
}

# Spark on instance groups. A launch may set the number of core nodes (the
# second instance_group) between 1 and 10, and their instance type to one of
# two memory-optimized types.
resource "emr_cluster_configuration" "nightly" {
  namespace     = "analytics"
  name          = "nightly-spark"
  description   = "Nightly Spark ETL"
  release_label = "emr-7.8.0"
  applications  = ["Spark"]
  subnet_ids    = ["subnet-0123456789abcdef0"]

  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }

  instance_group {
    role           = "CORE"
    instance_type  = "r5.2xlarge"
    instance_count = 2

    ebs {
      volume_type = "gp3"
      size_gb     = 256
    }
  }

  idle_timeout_seconds = 3600

  override {
    name    = "CoreInstanceCount"
    path    = "Instances.InstanceGroups[1].InstanceCount"
    minimum = 1
    maximum = 10
  }

  override {
    name           = "CoreInstanceType"
    path           = "Instances.InstanceGroups[1].InstanceType"
    allowed_values = ["r5.2xlarge", "r6i.2xlarge"]
  }

  tags = {
    team = "analytics"
  }
}

# Spark and Hive with an external Hive metastore. The password stays in
# Secrets Manager: the request names the secret's ARN with EMR's
# "EMR.secret@" annotation, and EMR reads the value when it configures the
# nodes. Terraform, the state machine and its history only see the ARN.
resource "emr_cluster_configuration" "metastore" {
  namespace     = "analytics"
  name          = "spark-metastore"
  description   = "Spark and Hive on the shared metastore"
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

  configurations_json = jsonencode([
    {
      Classification = "hive-site"
      Properties = {
        "javax.jdo.option.ConnectionURL"        = "jdbc:mysql://metastore.internal:3306/hive"
        "javax.jdo.option.ConnectionDriverName" = "org.mariadb.jdbc.Driver"
        "javax.jdo.option.ConnectionUserName"   = "hive"
      }
    },
  ])

  idle_timeout_seconds = 3600

  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = var.hive_metastore_password_secret_arn
  }

  tags = {
    team = "analytics"
  }
}

# Launches nightly-spark clusters with the batch profile, straight from Step
# Functions (no Kerberos, so no Lambda function). The whole RunJobFlow
# request is written into the state machine at plan time.
resource "emr_launch_function" "nightly" {
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.batch
  cluster_configuration = emr_cluster_configuration.nightly
  cluster_name          = "nightly-etl"

  allowed_overrides       = ["CoreInstanceCount", "CoreInstanceType"]
  fail_if_cluster_running = true

  # One JSON message per launch, successful or failed, to an existing topic.
  notifications {
    topic_arn = var.launch_notifications_topic_arn
  }

  # Over the configuration's tags; a launch cannot change these keys.
  cluster_tags = {
    cost-center = "analytics-batch"
  }

  tags = {
    team = "analytics"
  }
}

# Launches spark-metastore clusters with the same profile. The configuration
# has a secret, so the function puts an inline policy on the profile's
# service role (analytics-batch-emr-service) that lets EMR read exactly
# var.hive_metastore_password_secret_arn. There is no launcher function:
# only Kerberos needs one. No override is allowed: a launch may choose only
# the cluster name and extra tags.
resource "emr_launch_function" "with_secrets" {
  namespace             = "analytics"
  name                  = "with-secrets"
  profile               = emr_launch_profile.batch
  cluster_configuration = emr_cluster_configuration.metastore
  cluster_name          = "hive-metastore"

  tags = {
    team = "analytics"
  }
}

# In a workspace that does not manage the profile and the configuration,
# pass the data source objects instead; the function takes the same
# attributes from them:
#
#   data "emr_launch_profile" "batch" {
#     namespace = "analytics"
#     name      = "batch"
#   }
#
#   data "emr_cluster_configuration" "nightly" {
#     namespace = "analytics"
#     name      = "nightly-spark"
#   }
#
#   resource "emr_launch_function" "nightly" {
#     namespace             = "analytics"
#     name                  = "nightly"
#     profile               = data.emr_launch_profile.batch
#     cluster_configuration = data.emr_cluster_configuration.nightly
#     cluster_name          = "nightly-etl"
#   }
