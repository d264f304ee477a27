terraform {
  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

provider "emr" {
  region = "us-east-1"
}

# Step 1 of EMR runtime roles: a security configuration that lets steps run
# under their own IAM role, with TLS between cluster nodes.
resource "emr_security_configuration" "rt" {
  name = "runtime-roles"

  runtime_roles {
    propagate_source_identity = true
    # Only with Lake Formation access control:
    # lake_formation_authorized_session_tag = "Amazon EMR"
  }

  encryption {
    in_transit {
      # A zip of PEM certificates; EMR reads it when a cluster launches.
      pem_certificates_s3_uri = "s3://acme-emr/certs/certs.zip"
    }
  }
}

# Runtime roles trust this value (emr_runtime_role.emr_on_ec2.external_id).
output "external_id" {
  value = emr_security_configuration.rt.external_id
}

output "configuration_json" {
  value = emr_security_configuration.rt.configuration_json
}
