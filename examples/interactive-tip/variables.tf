variable "region" {
  description = "AWS region of the application; the Identity Center instance must be in the same region."
  type        = string
  default     = "us-east-1"
}

variable "identity_center_instance_arn" {
  description = "ARN of the IAM Identity Center instance whose users work in the notebooks."
  type        = string
  default     = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
}

variable "subnet_ids" {
  description = "Private subnets of the workers."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
}

variable "security_group_ids" {
  description = "Security groups of the workers."
  type        = list(string)
  default     = ["sg-0c1d2e3f4a5b60718"]
}

variable "scratch_location" {
  description = "S3 location where sessions may write intermediate results, ending in /."
  type        = string
  default     = "s3://acme-notebooks/scratch/"
}
