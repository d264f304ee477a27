output "job_runtime_role_arn" {
  description = "The role jobs run as (--execution-role-arn)."
  value       = emr_serverless_dataplane.sdp.job_runtime_role_arn
}

output "launch_role_arn" {
  description = "The shared role that now holds the launch permissions."
  value       = emr_serverless_dataplane.sdp.launch_role_arn
}

output "launch_policy_json" {
  description = "The inline policy put on the shared role."
  value       = emr_serverless_dataplane.sdp.launch_policy_json
}

# The attribute is always marked sensitive because in private mode it carries
# the external id. A shared data plane has no external id, so the message can
# be shown.
output "control_plane_metadata" {
  description = "The message the control plane configures itself from."
  value       = nonsensitive(emr_serverless_dataplane.sdp.control_plane_metadata)
}

output "application_id" {
  description = "The batch application."
  value       = emr_serverless_application.batch.id
}
