# Terraform 1.5 or later. Without resource blocks for them, Terraform writes
# their configuration with: terraform plan -generate-config-out=generated.tf

# A private data plane is imported by its name.
import {
  to = emr_serverless_dataplane.acme
  id = "acme"
}

# A shared data plane is imported by "<name>:<shared_launch_role_name>", the
# name and the name of the shared launch role that holds its grant.
import {
  to = emr_serverless_dataplane.shared
  id = "analytics:role_trusted_user"
}
