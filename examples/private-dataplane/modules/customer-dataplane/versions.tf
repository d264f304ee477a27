terraform {
  required_version = ">= 1.0"

  required_providers {
    emr = {
      source = "emrlaunch/emr"
    }
  }
}
