output "state_machine_arn" {
  description = "Start an execution of this state machine to launch a nightly-spark cluster."
  value       = emr_launch_function.nightly.state_machine_arn
}

output "invoke_policy_json" {
  description = "Attach to the people or roles that may launch: states:StartExecution on this function only."
  value       = emr_launch_function.nightly.invoke_policy_json
}

output "profile_roles" {
  description = "The only roles a launch may pass."
  value = {
    service     = emr_launch_profile.batch.service_role_arn
    instance    = emr_launch_profile.batch.instance_profile_arn
    autoscaling = emr_launch_profile.batch.autoscaling_role_arn
  }
}

output "runtime_role_arns" {
  description = "Pass as --execution-role-arn when submitting steps, per team."
  value = {
    analysts       = emr_runtime_role.analysts.arn
    data_engineers = emr_runtime_role.data_engineers.arn
  }
}

output "runtime_role_caller_policies" {
  description = "Attach to each team's IAM identities: submit steps as that team's role only."
  value = {
    analysts       = emr_runtime_role.analysts.caller_policy_json
    data_engineers = emr_runtime_role.data_engineers.caller_policy_json
  }
}

output "shared_job_runtime_role_arn" {
  description = "The role jobs in the shared data plane run as."
  value       = emr_serverless_dataplane.shared.job_runtime_role_arn
}

output "customer_launch_role_arns" {
  description = "Per customer: the role the control plane assumes (with that customer's external id)."
  value       = { for name, dp in emr_serverless_dataplane.customer : name => dp.launch_role_arn }
}

# Each message carries the customer's external id, hence sensitive:
# terraform output -json control_plane_messages
output "control_plane_messages" {
  description = "Per customer: the JSON message the control plane configures itself from."
  value       = { for name, dp in emr_serverless_dataplane.customer : name => dp.control_plane_metadata }
  sensitive   = true
}
