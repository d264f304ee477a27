terraform {
  required_version = ">= 1.0"

  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}

# All data planes of this configuration are created through this one provider
# configuration, so they share its account and region. See the README for
# customers in separate AWS accounts.
provider "emr" {
  region = var.region
}

module "customer" {
  source   = "./modules/customer-dataplane"
  for_each = var.customers

  name                        = each.key
  control_plane_principal_arn = var.control_plane_principal_arn
  control_plane_queue_url     = var.control_plane_queue_url
  resource_bucket             = each.value.resource_bucket
  subnet_ids                  = each.value.subnet_ids
  security_group_ids          = each.value.security_group_ids
  kms_key_arns                = each.value.kms_key_arns
}
