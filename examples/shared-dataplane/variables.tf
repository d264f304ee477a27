variable "region" {
  description = "AWS region of the data plane."
  type        = string
  default     = "us-east-1"
}

variable "shared_launch_role_name" {
  description = "Name of the existing role the control plane already uses; it receives the launch permissions as an inline policy."
  type        = string
  default     = "role_trusted_user"
}

variable "resource_bucket" {
  description = "Existing bucket for EMR Serverless logs and staged files."
  type        = string
  default     = "sdp-emr-logs"
}

variable "subnet_ids" {
  description = "Private subnets in at least two availability zones."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
}

variable "security_group_ids" {
  description = "Security groups of the job network interfaces."
  type        = list(string)
  default     = ["sg-0c1d2e3f4a5b60718"]
}

variable "kms_key_arns" {
  description = "KMS keys the bucket and the jobs use, by key ARN."
  type        = list(string)
  default     = []
}
