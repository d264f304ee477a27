# A job function is imported by "<namespace>/<name>".
terraform import emr_serverless_job_function.etl acme/nightly-etl
