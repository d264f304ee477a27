output "profile_parameter_name" {
  description = "SSM parameter that holds the profile's metadata."
  value       = emr_launch_profile.analytics.parameter_name
}

output "service_role_arn" {
  description = "EMR service role created for the profile."
  value       = emr_launch_profile.analytics.service_role_arn
}

output "instance_profile_arn" {
  description = "EC2 instance profile created for the profile."
  value       = emr_launch_profile.analytics.instance_profile_arn
}

output "instance_role_arn" {
  description = "The role inside that instance profile; the runtime role trusts it."
  value       = emr_launch_profile.analytics.instance_role_arn
}

output "autoscaling_role_arn" {
  description = "Autoscaling role created for the profile."
  value       = emr_launch_profile.analytics.autoscaling_role_arn
}

output "small_parameter_name" {
  description = "SSM parameter of the small instance-group configuration."
  value       = emr_cluster_configuration.small.parameter_name
}

output "large_parameter_name" {
  description = "SSM parameter of the large instance-fleet configuration."
  value       = emr_cluster_configuration.large.parameter_name
}

output "large_secret_arns" {
  description = "Secrets a launch of the large configuration reads (ARNs only)."
  value       = emr_cluster_configuration.large.secret_arns
}

output "analyst_role_arn" {
  description = "Pass as --execution-role-arn when submitting analyst steps."
  value       = emr_runtime_role.analyst.arn
}

output "analyst_caller_policy_json" {
  description = "Attach to the analysts' IAM identities: submit steps as the analyst role only."
  value       = emr_runtime_role.analyst.caller_policy_json
}
