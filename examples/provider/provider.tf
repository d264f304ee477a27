provider "emr" {
  region = "us-east-1"

  # Merged into the tags of every taggable resource this provider manages.
  default_tags = {
    team       = "data-platform"
    managed-by = "terraform"
  }

  # SSM Parameter Store root for launch metadata (this is the default).
  # metadata_prefix = "/emr_launch"

  # Deploy into another account through a role there.
  # assume_role {
  #   role_arn        = "arn:aws:iam::111122223333:role/terraform"
  #   external_id     = "acme-7f3a"
  #   session_name    = "terraform"
  #   source_identity = "alice"
  # }

  # Point individual services at other endpoints, e.g. a local emulator.
  # endpoints {
  #   sts = "http://127.0.0.1:5000"
  #   emr = "http://127.0.0.1:5000"
  # }
}
