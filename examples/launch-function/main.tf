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
# second instance_group) between 1 and 10.
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

  tags = {
    team = "analytics"
  }
}

# Spark and Hive with an external Hive metastore. Its credentials stay in
# Secrets Manager: at launch, the function's launcher reads the secret and
# merges its keys into hive-site. Terraform only sees the ARN.
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
      }
    },
  ])

  idle_timeout_seconds = 3600

  secret_configuration {
    classification = "hive-site"
    secret_arn     = var.hive_metastore_secret_arn
  }

  tags = {
    team = "analytics"
  }
}

# Launches nightly-spark clusters with the batch profile, straight from Step
# Functions (no secrets, so no Lambda function).
resource "emr_launch_function" "nightly" {
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.batch
  cluster_configuration = emr_cluster_configuration.nightly
  cluster_name          = "nightly-etl"

  allowed_overrides       = ["CoreInstanceCount"]
  fail_if_cluster_running = true

  # Over the configuration's tags; a launch cannot change these keys.
  cluster_tags = {
    cost-center = "analytics-batch"
  }

  tags = {
    team = "analytics"
  }
}

# Launches spark-metastore clusters with the same profile. The configuration
# has a secret, so the provider also creates a dedicated launcher function
# whose role alone may read var.hive_metastore_secret_arn. No override is
# allowed: a launch may choose only the cluster name and extra tags.
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
