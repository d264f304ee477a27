# A cluster configuration is imported by "<namespace>/<name>".
terraform import emr_cluster_configuration.small analytics/small-spark
