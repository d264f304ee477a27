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

# A cluster configuration managed in another workspace, read from SSM
# Parameter Store.
data "emr_cluster_configuration" "small" {
  namespace = "analytics"
  name      = "small-spark"
}

output "release_label" {
  value = data.emr_cluster_configuration.small.release_label
}

# The RunJobFlow request without the profile's roles, security groups and
# log location.
output "run_job_flow_json" {
  value = data.emr_cluster_configuration.small.run_job_flow_json
}

output "secret_arns" {
  value = data.emr_cluster_configuration.small.secret_arns
}
