output "launch_role_arns" {
  description = "Launch role per customer."
  value       = { for name, dp in module.customer : name => dp.launch_role_arn }
}

output "job_runtime_role_arns" {
  description = "Job runtime role per customer."
  value       = { for name, dp in module.customer : name => dp.job_runtime_role_arn }
}

output "external_ids" {
  description = "External id per customer."
  value       = { for name, dp in module.customer : name => dp.external_id }
  sensitive   = true
}

output "control_plane_metadata" {
  description = "Control plane message per customer (JSON); each contains the customer's external id."
  value       = { for name, dp in module.customer : name => dp.control_plane_metadata }
  sensitive   = true
}
