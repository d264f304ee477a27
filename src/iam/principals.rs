//! Service principals and ARNs per partition. Most services are
//! `<service>.amazonaws.com` everywhere; in the China partition EC2, EMR and
//! Application Auto Scaling trust `<service>.amazonaws.com.cn` (the EMR
//! default roles in cn-north-1 are written that way).

/// The service principal of `service` (e.g. "elasticmapreduce") in `partition`.
pub fn service(partition: &str, service: &str) -> String {
    let cn_suffix = matches!(
        service,
        "ec2" | "elasticmapreduce" | "application-autoscaling"
    );
    if partition == "aws-cn" && cn_suffix {
        format!("{service}.amazonaws.com.cn")
    } else {
        format!("{service}.amazonaws.com")
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub fn arn(partition: &str, service: &str, region: &str, account: &str, resource: &str) -> String {
    format!("arn:{partition}:{service}:{region}:{account}:{resource}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_follow_the_partition() {
        assert_eq!(service("aws", "ec2"), "ec2.amazonaws.com");
        assert_eq!(service("aws-cn", "ec2"), "ec2.amazonaws.com.cn");
        assert_eq!(
            service("aws-cn", "elasticmapreduce"),
            "elasticmapreduce.amazonaws.com.cn"
        );
        assert_eq!(service("aws-cn", "states"), "states.amazonaws.com");
        assert_eq!(service("aws-us-gov", "ec2"), "ec2.amazonaws.com");
        assert_eq!(
            arn(
                "aws-us-gov",
                "states",
                "us-gov-west-1",
                "123456789012",
                "stateMachine:x"
            ),
            "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:x"
        );
    }
}
