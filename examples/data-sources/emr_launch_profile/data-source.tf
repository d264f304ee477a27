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

# The platform team's workspace manages the profile; this workspace only
# reads it from SSM Parameter Store. Role ARNs are checked: created roles
# against their derived names, declared ones against the instance profile.
data "emr_launch_profile" "analytics" {
  namespace = "analytics"
  name      = "default"
}

output "service_role_arn" {
  value = data.emr_launch_profile.analytics.service_role_arn
}

output "instance_profile_arn" {
  value = data.emr_launch_profile.analytics.instance_profile_arn
}

# The role inside the instance profile: what runtime roles trust.
output "instance_role_arn" {
  value = data.emr_launch_profile.analytics.instance_role_arn
}

output "security_configuration" {
  value = data.emr_launch_profile.analytics.security_configuration
}
