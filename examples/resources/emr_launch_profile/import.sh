# A launch profile is imported by "<namespace>/<name>".
terraform import emr_launch_profile.analytics analytics/default
