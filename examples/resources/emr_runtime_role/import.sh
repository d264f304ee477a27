# A runtime role is imported by its IAM role name (not its ARN).
terraform import emr_runtime_role.analyst emr-rt-analyst
