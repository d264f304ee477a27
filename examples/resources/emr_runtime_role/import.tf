# A runtime role is imported by its IAM role name (not its ARN).
# Terraform 1.5 or later. Without a resource block for it, Terraform writes
# its configuration with: terraform plan -generate-config-out=generated.tf
import {
  to = emr_runtime_role.analyst
  id = "emr-rt-analyst"
}
