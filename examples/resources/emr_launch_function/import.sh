# A launch function is imported by "<namespace>/<name>".
terraform import emr_launch_function.nightly analytics/nightly
