output "job_runtime_role_arn" {
  description = "The role jobs run as."
  value       = emr_serverless_dataplane.this.job_runtime_role_arn
}

output "launch_role_arn" {
  description = "The role the control plane assumes to launch applications and jobs."
  value       = emr_serverless_dataplane.this.launch_role_arn
}

output "launch_trust_policy_json" {
  description = "Who may assume the launch role (it shows the external id)."
  value       = emr_serverless_dataplane.this.launch_trust_policy_json
}

output "external_id" {
  description = "The external id the launch role requires."
  value       = emr_serverless_dataplane.this.external_id
  sensitive   = true
}

output "control_plane_metadata" {
  description = "The message the control plane configures itself from; it contains the external id."
  value       = emr_serverless_dataplane.this.control_plane_metadata
  sensitive   = true
}
