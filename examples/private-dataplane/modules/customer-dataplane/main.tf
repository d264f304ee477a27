# One private EMR Serverless data plane: a job runtime role, and a launch role
# that only the control plane principal may assume, with the external id.
resource "emr_serverless_dataplane" "this" {
  name = var.name
  mode = "private"

  resource_bucket     = var.resource_bucket
  resource_prefix     = var.resource_prefix
  subnet_ids          = var.subnet_ids
  security_group_ids  = var.security_group_ids
  kms_key_arns        = var.kms_key_arns
  read_bucket_names   = var.read_bucket_names
  assumable_role_arns = var.assumable_role_arns

  control_plane {
    principal_arn = var.control_plane_principal_arn
    external_id   = var.external_id
  }

  # Send the control plane metadata to the control plane's queue, when one
  # is given: `created` first, `updated` when it changes, `deleted` on destroy.
  dynamic "control_plane_message" {
    for_each = var.control_plane_queue_url == null ? [] : [var.control_plane_queue_url]
    content {
      sqs_queue_url = control_plane_message.value
    }
  }

  permissions_boundary = var.permissions_boundary

  tags = merge(var.tags, { customer = var.name })
}
