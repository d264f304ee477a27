# A private data plane is imported by its name.
terraform import emr_serverless_dataplane.acme acme

# A shared data plane is imported by its name and the name of the shared
# launch role that holds its grant, separated by a colon.
terraform import emr_serverless_dataplane.shared analytics:role_trusted_user
