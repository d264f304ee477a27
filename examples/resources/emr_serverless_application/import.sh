# An application is imported by its application id.
terraform import emr_serverless_application.etl 00fexample1234567
