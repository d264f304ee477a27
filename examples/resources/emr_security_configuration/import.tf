# A security configuration is imported by its name.
# Terraform 1.5 or later. Without a resource block for it, Terraform writes
# its configuration with: terraform plan -generate-config-out=generated.tf
import {
  to = emr_security_configuration.rt
  id = "runtime-roles"
}
