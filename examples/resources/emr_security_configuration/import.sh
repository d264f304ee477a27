# A security configuration is imported by its name.
terraform import emr_security_configuration.rt runtime-roles
