variable "hive_metastore_password_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds the Hive metastore password as plaintext (the secret string is the password itself, not JSON). It must already exist."
  type        = string
  default     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics/hive-metastore-password-AbCdEf"
}

variable "launch_notifications_topic_arn" {
  description = "ARN of an existing SNS topic that receives one message per launch of the nightly function."
  type        = string
  default     = "arn:aws:sns:us-east-1:123456789012:emr-launches"
}
