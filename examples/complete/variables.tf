variable "region" {
  description = "AWS region of everything in this example."
  type        = string
  default     = "us-east-1"
}

variable "subnet_ids" {
  description = "Private subnets in at least two availability zones. Clusters launch in the first; EMR Serverless jobs use all of them."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the EMR Serverless job network interfaces."
  type        = list(string)
}

variable "hive_metastore_password_secret_arn" {
  description = "ARN of an existing plaintext Secrets Manager secret holding the Hive metastore password. Only the ARN is ever handled."
  type        = string
}

variable "shared_launch_role_name" {
  description = "Existing role of the platform's control plane; the shared data plane grants it the right to run EMR Serverless jobs."
  type        = string
  default     = "role_trusted_user"
}

variable "control_plane_principal_arn" {
  description = "The IAM role in the control plane account that launches jobs in the customers' private data planes."
  type        = string
  default     = "arn:aws:iam::999988887777:role/control-plane"
}

variable "customers" {
  description = "One private EMR Serverless data plane per customer; the name prefixes its role names and its bucket, <name>-emr-serverless, must exist."
  type        = list(string)
  default     = ["acme", "globex", "initech"]
}

variable "resource_bucket" {
  description = "Existing bucket for the shared data plane's EMR Serverless logs and staged files."
  type        = string
  default     = "platform-emr-serverless"
}

variable "emr_bucket" {
  description = "Existing bucket for cluster logs and bootstrap artifacts."
  type        = string
  default     = "acme-emr"
}

variable "datalake_bucket" {
  description = "Bucket with the raw/, curated/ and scratch/ zones the runtime roles use."
  type        = string
  default     = "datalake"
}
