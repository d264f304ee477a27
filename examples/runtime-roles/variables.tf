variable "region" {
  description = "AWS region of the clusters."
  type        = string
  default     = "us-east-1"
}

variable "instance_role_arn" {
  description = "ARN of the IAM role behind the EMR clusters' EC2 instance profile. It must already exist."
  type        = string
  default     = "arn:aws:iam::123456789012:role/EMR_EC2_DefaultRole"
}

variable "datalake_bucket" {
  description = "Bucket that holds the raw/, curated/ and scratch/ zones."
  type        = string
  default     = "datalake"
}
