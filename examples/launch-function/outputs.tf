output "nightly_state_machine_arn" {
  description = "Start an execution of this state machine to launch a nightly-spark cluster."
  value       = emr_launch_function.nightly.state_machine_arn
}

output "nightly_invoke_policy_json" {
  description = "Attach to the users and roles that may launch nightly clusters, and nothing else."
  value       = emr_launch_function.nightly.invoke_policy_json
}

output "with_secrets_state_machine_arn" {
  description = "Start an execution of this state machine to launch a spark-metastore cluster."
  value       = emr_launch_function.with_secrets.state_machine_arn
}

output "with_secrets_invoke_policy_json" {
  description = "Attach to the users and roles that may launch spark-metastore clusters."
  value       = emr_launch_function.with_secrets.invoke_policy_json
}

output "with_secrets_launcher_role_arn" {
  description = "The only role that reads the metastore secret; allow it kms:Decrypt if the secret uses a customer managed key."
  value       = emr_launch_function.with_secrets.launcher_role_arn
}
