output "application_id" {
  description = "The interactive application."
  value       = emr_serverless_application.notebooks.id
}

output "runtime_role_arn" {
  description = "The execution role to name when a session is created."
  value       = emr_runtime_role.notebooks.arn
}

output "runtime_role_trust_policy_json" {
  description = "Trust of the runtime role, including sts:SetContext."
  value       = emr_runtime_role.notebooks.trust_policy_json
}

output "caller_policy_json" {
  description = "What a caller needs to run work on the application as this role."
  value       = emr_runtime_role.notebooks.caller_policy_json
}
