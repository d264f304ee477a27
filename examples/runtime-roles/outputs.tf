output "security_configuration_name" {
  description = "Launch the shared clusters with this security configuration."
  value       = emr_security_configuration.teams.name
}

output "analysts_role_arn" {
  description = "Pass as --execution-role-arn when submitting analyst steps."
  value       = emr_runtime_role.analysts.arn
}

output "analysts_caller_policy_json" {
  description = "Attach to the analysts' IAM identities: submit steps as the analysts role only."
  value       = emr_runtime_role.analysts.caller_policy_json
}

output "data_engineers_role_arn" {
  description = "Pass as --execution-role-arn when submitting data engineering steps."
  value       = emr_runtime_role.data_engineers.arn
}

output "data_engineers_caller_policy_json" {
  description = "Attach to the data engineers' IAM identities: submit steps as the data engineers role only."
  value       = emr_runtime_role.data_engineers.caller_policy_json
}
