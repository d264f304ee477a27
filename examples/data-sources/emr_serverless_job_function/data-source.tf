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

# A job function managed by the platform team's workspace. Its ARNs are
# derived from namespace and name; the record in SSM Parameter Store must
# agree with them, or the plan fails.
data "emr_serverless_job_function" "etl" {
  namespace = "acme"
  name      = "nightly-etl"
}

output "state_machine_arn" {
  value = data.emr_serverless_job_function.etl.state_machine_arn
}

# The scripts a run may name as its "EntryPoint".
output "entry_points" {
  value = data.emr_serverless_job_function.etl.entry_points
}

# The override names a run may put in its "Overrides".
output "allowed_overrides" {
  value = data.emr_serverless_job_function.etl.allowed_overrides
}

# states:StartExecution on this function only, built from the derived state
# machine ARN: attach it to the users and roles of this workspace that may
# start nightly-etl runs.
output "invoke_policy_json" {
  value = data.emr_serverless_job_function.etl.invoke_policy_json
}
