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

output "with_secrets_service_role_secret_policy_json" {
  description = "The inline policy put on the profile's service role: EMR may read exactly the metastore password secret. If the secret uses a customer managed KMS key, the key policy must let that role decrypt."
  value       = emr_launch_function.with_secrets.service_role_secret_policy_json
}

output "nightly_definition_json" {
  description = "The state machine definition, with the complete RunJobFlow request every nightly launch starts from."
  value       = emr_launch_function.nightly.definition_json
}
