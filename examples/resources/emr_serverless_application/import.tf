# An application is imported by its application id.
# Terraform 1.5 or later. Without a resource block for it, Terraform writes
# its configuration with: terraform plan -generate-config-out=generated.tf
import {
  to = emr_serverless_application.etl
  id = "00fexample1234567"
}
