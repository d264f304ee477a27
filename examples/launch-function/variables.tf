variable "hive_metastore_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds the Hive metastore credentials, a JSON object such as {\"javax.jdo.option.ConnectionUserName\": \"...\", \"javax.jdo.option.ConnectionPassword\": \"...\"}. It must already exist."
  type        = string
  default     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:analytics/hive-metastore-AbCdEf"
}
