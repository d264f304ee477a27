# A job function is imported by "<namespace>/<name>".
# Terraform 1.5 or later. Without a resource block for it, Terraform writes
# its configuration with: terraform plan -generate-config-out=generated.tf
import {
  to = emr_serverless_job_function.etl
  id = "acme/nightly-etl"
}
