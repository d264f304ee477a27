terraform {
  required_version = ">= 1.0"

  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

provider "emr" {
  region = var.region

  default_tags = {
    managed-by = "terraform"
  }
}

# ---------------------------------------------------------------------------
# EMR Serverless data planes
# ---------------------------------------------------------------------------

# Jobs of the platform's own control plane run in this account. The existing
# role var.shared_launch_role_name gets the right to run them (inline policy
# emr-serverless-launch-shared); the provider creates the role jobs run as,
# shared-emr-serverless-job-runtime.
resource "emr_serverless_dataplane" "shared" {
  name                    = "shared"
  mode                    = "shared"
  shared_launch_role_name = var.shared_launch_role_name

  resource_bucket    = var.resource_bucket
  resource_prefix    = "emr-serverless/"
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids

  tags = {
    data-plane = "shared"
  }
}

# One private data plane per customer. Each gets a launch role that only the
# control plane may assume, with an external id generated for that customer,
# and a job runtime role. control_plane_metadata is the message the control
# plane configures itself from. Each customer has a bucket of its own,
# <customer>-emr-serverless, for logs and staged files.
resource "emr_serverless_dataplane" "customer" {
  for_each = toset(var.customers)

  name = each.key
  mode = "private"

  resource_bucket    = "${each.key}-emr-serverless"
  resource_prefix    = "emr-serverless/"
  subnet_ids         = var.subnet_ids
  security_group_ids = var.security_group_ids

  control_plane {
    principal_arn = var.control_plane_principal_arn
  }

  tags = {
    customer = each.key
  }
}

# ---------------------------------------------------------------------------
# EMR on EC2: who clusters run as, what they look like, who may launch them
# ---------------------------------------------------------------------------

# Each step on an analytics cluster runs as the runtime role named when it is
# submitted, and the submitter's identity travels with it.
resource "emr_security_configuration" "analytics" {
  name = "analytics"

  runtime_roles {
    propagate_source_identity = true
  }
}

# The profile: which roles and logs every analytics cluster launches with.
# Without a roles block the provider creates
#   analytics-batch-emr-service
#   analytics-batch-emr-instance (and its instance profile)
#   analytics-batch-emr-autoscaling
# and these are the only roles a launch may pass.
resource "emr_launch_profile" "batch" {
  namespace   = "analytics"
  name        = "batch"
  description = "Analytics batch clusters"

  security_configuration = emr_security_configuration.analytics.name
  logs_uri               = "s3://${var.emr_bucket}/logs/batch/"
  artifacts_uri          = "s3://${var.emr_bucket}/artifacts/batch/"

  tags = {
    team = "platform"
  }
}

# Two teams, two runtime roles. Each may be assumed only by the profile's
# instance role, from clusters with the security configuration above, and
# touches only its own prefixes.
resource "emr_runtime_role" "analysts" {
  name = "analytics-rt-analysts"

  emr_on_ec2 {
    instance_role_arn         = emr_launch_profile.batch.instance_role_arn
    external_id               = emr_security_configuration.analytics.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://${var.datalake_bucket}/curated/"]
  s3_write = ["s3://${var.datalake_bucket}/scratch/analysts/"]

  tags = {
    team = "analysts"
  }
}

resource "emr_runtime_role" "data_engineers" {
  name = "analytics-rt-data-engineers"

  emr_on_ec2 {
    instance_role_arn         = emr_launch_profile.batch.instance_role_arn
    external_id               = emr_security_configuration.analytics.external_id
    propagate_source_identity = true
  }

  s3_read  = ["s3://${var.datalake_bucket}/raw/"]
  s3_write = ["s3://${var.datalake_bucket}/curated/"]

  tags = {
    team = "data-engineering"
  }
}

# What a cluster is: Spark and Hive on one primary and two core nodes, with
# the Hive metastore password in Secrets Manager (only its ARN is handled).
# A launch may choose 1 to 10 core nodes and one of two core instance types;
# everything else is fixed.
resource "emr_cluster_configuration" "nightly" {
  namespace     = "analytics"
  name          = "nightly-spark"
  description   = "Nightly Spark and Hive ETL"
  release_label = "emr-7.8.0"
  applications  = ["Spark", "Hive"]
  subnet_ids    = [var.subnet_ids[0]]

  instance_group {
    role           = "MASTER"
    instance_type  = "m5.xlarge"
    instance_count = 1
  }

  instance_group {
    role           = "CORE"
    instance_type  = "r5.2xlarge"
    instance_count = 2
  }

  configurations_json = jsonencode([
    {
      Classification = "hive-site"
      Properties = {
        "javax.jdo.option.ConnectionURL"      = "jdbc:mysql://metastore.internal:3306/hive"
        "javax.jdo.option.ConnectionUserName" = "hive"
      }
    },
  ])

  secret_configuration {
    classification = "hive-site"
    property       = "javax.jdo.option.ConnectionPassword"
    secret_arn     = var.hive_metastore_password_secret_arn
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

# The launch function: a Step Functions state machine that starts
# nightly-spark clusters with the batch profile. Whoever holds its
# invoke_policy_json may launch exactly this, and nothing else.
resource "emr_launch_function" "nightly" {
  namespace             = "analytics"
  name                  = "nightly"
  profile               = emr_launch_profile.batch
  cluster_configuration = emr_cluster_configuration.nightly
  cluster_name          = "nightly-etl"

  allowed_overrides       = ["CoreInstanceCount", "CoreInstanceType"]
  wait_for_cluster_start  = true
  fail_if_cluster_running = true

  cluster_tags = {
    cost-center = "analytics-batch"
  }

  tags = {
    team = "analytics"
  }
}
