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

# A launch function managed by the platform team's workspace. Its ARNs are
# derived from namespace and name; the record in SSM Parameter Store must
# agree with them, or the plan fails.
data "emr_launch_function" "nightly" {
  namespace = "analytics"
  name      = "nightly"
}

output "state_machine_arn" {
  value = data.emr_launch_function.nightly.state_machine_arn
}

# The override names a launch may put in its "Overrides".
output "allowed_overrides" {
  value = data.emr_launch_function.nightly.allowed_overrides
}

# states:StartExecution on this function only, built from the derived state
# machine ARN: attach it to the users and roles of this workspace that may
# launch nightly clusters.
output "invoke_policy_json" {
  value = data.emr_launch_function.nightly.invoke_policy_json
}
