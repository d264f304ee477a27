variable "name" {
  description = "Short customer name, used as the prefix of the role names (1 to 32 characters)."
  type        = string
}

variable "control_plane_principal_arn" {
  description = "The IAM role in the control plane account that launches jobs in this data plane."
  type        = string
}

variable "external_id" {
  description = "External id the launch role requires. Leave null to have one generated when the data plane is created."
  type        = string
  default     = null
  sensitive   = true
}

variable "control_plane_queue_url" {
  description = "URL of the control plane's SQS queue (https://sqs.<region>.amazonaws.com/<account id>/<queue name>) that receives this data plane's control plane metadata. Leave null to send nothing."
  type        = string
  default     = null
}

variable "resource_bucket" {
  description = "Existing bucket in the customer's account for logs and staged files."
  type        = string
}

variable "resource_prefix" {
  description = "Prefix in resource_bucket, ending in /."
  type        = string
  default     = "emr-serverless/"
}

variable "subnet_ids" {
  description = "At least two private subnets, in different availability zones."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the job network interfaces."
  type        = list(string)
}

variable "kms_key_arns" {
  description = "KMS keys (key ARNs, not aliases) the jobs and the launch role may use."
  type        = list(string)
  default     = []
}

variable "read_bucket_names" {
  description = "Extra buckets the jobs may read."
  type        = list(string)
  default     = []
}

variable "assumable_role_arns" {
  description = "Roles the jobs may assume, named exactly."
  type        = list(string)
  default     = []
}

variable "permissions_boundary" {
  description = "Optional permissions boundary for the two roles."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the roles."
  type        = map(string)
  default     = {}
}
