variable "region" {
  description = "AWS region of the data planes."
  type        = string
  default     = "us-east-1"
}

variable "control_plane_principal_arn" {
  description = "The IAM role in the control plane account that launches jobs."
  type        = string
  default     = "arn:aws:iam::999988887777:role/control-plane"
}

variable "control_plane_queue_url" {
  description = "URL of the control plane's SQS queue that receives every data plane's control plane metadata, for example https://sqs.us-east-1.amazonaws.com/999988887777/dataplanes. Leave null to send nothing."
  type        = string
  default     = null
}

variable "customers" {
  description = "One private data plane per entry. The key becomes the prefix of the role names."
  type = map(object({
    resource_bucket    = string
    subnet_ids         = list(string)
    security_group_ids = list(string)
    kms_key_arns       = list(string)
  }))
  default = {
    acme = {
      resource_bucket    = "acme-emr-serverless"
      subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60719"]
      security_group_ids = ["sg-0c1d2e3f4a5b60718"]
      kms_key_arns       = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
    }
    globex = {
      resource_bucket    = "globex-emr-serverless"
      subnet_ids         = ["subnet-0c1d2e3f4a5b60720", "subnet-0d1e2f3a4b5c60721"]
      security_group_ids = ["sg-0d1e2f3a4b5c60722"]
      kms_key_arns       = []
    }
  }
}
