//! The control-plane message of seed 003, pushed to an SNS topic or an SQS
//! queue (`emr_serverless_dataplane.control_plane_message`): where it goes,
//! the request that carries it (the message attributes `event` and
//! `dataplane`; group and deduplication ids for FIFO destinations), and the
//! digest the state keeps of the last message delivered.

use super::query::{QueryClient, Service, SNS, SQS};
use super::AwsClients;

/// Where the message goes. The region is the destination's own (from its
/// ARN or URL): requests are signed for it.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    Topic { arn: String, region: String },
    Queue { url: String, region: String },
}

/// One message: the JSON body and the two message attributes.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// `created`, `updated` or `deleted`.
    pub event: &'a str,
    pub dataplane: &'a str,
    pub body: &'a str,
}

/// An SNS topic or SQS queue name: letters, digits, `-` and `_`, up to `max`
/// characters including an optional `.fifo` suffix.
fn queue_or_topic_name(name: &str, max: usize) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let chars = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    !base.is_empty() && name.len() <= max && base.bytes().all(chars)
}

/// `arn:<partition>:sns:<region>:<account>:<topic>`.
pub fn topic(arn: &str) -> Result<Destination, String> {
    let bad = || {
        format!("{arn:?} is not an SNS topic ARN (arn:aws:sns:<region>:<account id>:<topic name>).")
    };
    let a = crate::validate::parse_arn(arn).ok_or_else(bad)?;
    let region_ok = crate::validate::aws_region(a.region).is_ok();
    let name_ok = queue_or_topic_name(a.resource, 256);
    if a.service != "sns" || !region_ok || !crate::validate::is_account(a.account) || !name_ok {
        return Err(bad());
    }
    let region = a.region.to_string();
    Ok(Destination::Topic {
        arn: arn.to_string(),
        region,
    })
}

/// `https://sqs.<region>.amazonaws.com/<account>/<queue>` (or the legacy
/// `https://<region>.queue.amazonaws.com/…`, or any HTTPS host such as a VPC
/// endpoint's, whose region is then `default_region`).
pub fn queue(url: &str, default_region: &str) -> Result<Destination, String> {
    let bad = |why: &str| {
        format!("{url:?} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account id>/<queue name>): {why}.")
    };
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| bad("it must start with https://"))?;
    let (host, path) = rest.split_once('/').ok_or_else(|| bad("it has no path"))?;
    let (account, name) = path
        .split_once('/')
        .ok_or_else(|| bad("the path is not <account id>/<queue name>"))?;
    if host.is_empty() || !crate::validate::is_account(account) || !queue_or_topic_name(name, 80) {
        return Err(bad("the path is not <account id>/<queue name>"));
    }
    let labels: Vec<&str> = host.split('.').collect();
    let named = match labels.as_slice() {
        ["sqs", region, ..] => Some(*region),
        ["queue", "amazonaws", "com"] => Some("us-east-1"),
        [region, "queue", ..] => Some(*region),
        _ => None,
    };
    let region = named
        .filter(|r| crate::validate::aws_region(r).is_ok())
        .unwrap_or(default_region);
    Ok(Destination::Queue {
        url: url.to_string(),
        region: region.to_string(),
    })
}

impl Destination {
    /// The destination from the block's two attributes (exactly one set).
    pub fn of(
        topic_arn: Option<&str>,
        queue_url: Option<&str>,
        default_region: &str,
    ) -> Result<Destination, String> {
        match (topic_arn, queue_url) {
            (Some(t), None) => topic(t),
            (None, Some(q)) => queue(q, default_region),
            _ => Err("set exactly one of sns_topic_arn and sqs_queue_url.".into()),
        }
    }

    /// The ARN or URL.
    pub fn address(&self) -> &str {
        match self {
            Destination::Topic { arn, .. } => arn,
            Destination::Queue { url, .. } => url,
        }
    }

    fn fifo(&self) -> bool {
        self.address().ends_with(".fifo")
    }

    fn service(&self) -> Service {
        match self {
            Destination::Topic { .. } => SNS,
            Destination::Queue { .. } => SQS,
        }
    }

    fn region(&self) -> &str {
        match self {
            Destination::Topic { region, .. } | Destination::Queue { region, .. } => region,
        }
    }

    /// The action and its parameters for this message.
    fn request(&self, m: &Message) -> (&'static str, Vec<(String, String)>) {
        let (action, target, body, attribute) = match self {
            Destination::Topic { arn, .. } => (
                "Publish",
                ("TopicArn", arn),
                "Message",
                "MessageAttributes.entry",
            ),
            Destination::Queue { url, .. } => (
                "SendMessage",
                ("QueueUrl", url),
                "MessageBody",
                "MessageAttribute",
            ),
        };
        let mut p = vec![
            (target.0.to_string(), target.1.clone()),
            (body.to_string(), m.body.to_string()),
        ];
        for (i, (name, value)) in [("event", m.event), ("dataplane", m.dataplane)]
            .into_iter()
            .enumerate()
        {
            let key = |k: &str| format!("{attribute}.{}.{k}", i + 1);
            p.push((key("Name"), name.to_string()));
            p.push((key("Value.DataType"), "String".to_string()));
            p.push((key("Value.StringValue"), value.to_string()));
        }
        if self.fifo() {
            // One data plane's messages stay in order; a resend of the same
            // event and body (after an apply that saw an error) is dropped
            // within the deduplication window.
            p.push(("MessageGroupId".into(), m.dataplane.to_string()));
            let dedup = sha256_hex(&format!("{}\n{}", m.event, m.body));
            p.push(("MessageDeduplicationId".into(), dedup));
        }
        (action, p)
    }

    /// Sends the message; the error names the action and the destination.
    pub async fn send(&self, aws: &AwsClients, m: &Message<'_>) -> Result<(), String> {
        let service = self.service();
        let endpoint = aws.endpoint(service.signing_name);
        let client =
            QueryClient::new(&aws.sdk, service, endpoint, self.region()).stoppable(&aws.stop);
        let (action, params) = self.request(m);
        client
            .call(action, &params)
            .await
            .map(|_| ())
            .map_err(|f| format!("{} (to {})", f.text, self.address()))
    }
}

fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the state records of a delivered message: the SHA-256 of the
/// destination and the body.
pub fn digest(destination: &str, body: &str) -> String {
    sha256_hex(&format!("{destination}\n{body}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn params(d: &Destination, m: &Message) -> (&'static str, BTreeMap<String, String>) {
        let (action, p) = d.request(m);
        (action, p.into_iter().collect())
    }

    const MSG: Message = Message {
        event: "created",
        dataplane: "acme",
        body: r#"{"region":"us-east-1"}"#,
    };

    #[test]
    fn topics_are_sns_arns_with_their_region() {
        let t = topic("arn:aws:sns:eu-west-1:999988887777:dataplanes").unwrap();
        assert_eq!(t.region(), "eu-west-1");
        assert!(topic("arn:aws-cn:sns:cn-north-1:999988887777:d.fifo").is_ok());
        for bad in [
            "arn:aws:sqs:eu-west-1:999988887777:dataplanes",
            "arn:aws:sns:eu-west-1:9999:dataplanes",
            "arn:aws:sns:*:999988887777:dataplanes",
            "arn:aws:sns:eu-west-1:999988887777:*",
            "arn:aws:sns:eu-west-1:999988887777:data planes",
            "dataplanes",
        ] {
            assert!(topic(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn queues_are_https_urls_with_account_and_name() {
        let region = |u: &str| queue(u, "ap-south-1").map(|d| d.region().to_string());
        let url = "https://sqs.eu-west-1.amazonaws.com/999988887777/dataplanes";
        assert_eq!(region(url).unwrap(), "eu-west-1");
        let legacy = "https://eu-central-1.queue.amazonaws.com/999988887777/q";
        assert_eq!(region(legacy).unwrap(), "eu-central-1");
        let global = "https://queue.amazonaws.com/999988887777/q";
        assert_eq!(region(global).unwrap(), "us-east-1");
        let vpce = "https://vpce-0a1b.sqs.eu-west-1.vpce.amazonaws.com/999988887777/q.fifo";
        assert_eq!(region(vpce).unwrap(), "ap-south-1");
        for bad in [
            "http://sqs.eu-west-1.amazonaws.com/999988887777/q",
            "https://sqs.eu-west-1.amazonaws.com/q",
            "https://sqs.eu-west-1.amazonaws.com/999988887777/q/extra",
            "https://sqs.eu-west-1.amazonaws.com/9999/q",
            "sqs.eu-west-1.amazonaws.com/999988887777/q",
        ] {
            assert!(queue(bad, "us-east-1").is_err(), "{bad}");
        }
    }

    #[test]
    fn exactly_one_destination() {
        let t = "arn:aws:sns:eu-west-1:999988887777:d";
        let q = "https://sqs.eu-west-1.amazonaws.com/999988887777/d";
        assert!(Destination::of(Some(t), None, "us-east-1").is_ok());
        assert!(Destination::of(None, Some(q), "us-east-1").is_ok());
        assert!(Destination::of(Some(t), Some(q), "us-east-1").is_err());
        assert!(Destination::of(None, None, "us-east-1").is_err());
    }

    #[test]
    fn sns_publish_carries_the_body_and_both_attributes() {
        let t = topic("arn:aws:sns:eu-west-1:999988887777:d").unwrap();
        let (action, p) = params(&t, &MSG);
        assert_eq!(action, "Publish");
        let want: BTreeMap<String, String> = [
            ("TopicArn", "arn:aws:sns:eu-west-1:999988887777:d"),
            ("Message", r#"{"region":"us-east-1"}"#),
            ("MessageAttributes.entry.1.Name", "event"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "created"),
            ("MessageAttributes.entry.2.Name", "dataplane"),
            ("MessageAttributes.entry.2.Value.DataType", "String"),
            ("MessageAttributes.entry.2.Value.StringValue", "acme"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(p, want);
    }

    #[test]
    fn sqs_send_message_and_fifo_ids() {
        let q = queue(
            "https://sqs.eu-west-1.amazonaws.com/999988887777/d.fifo",
            "us-east-1",
        )
        .unwrap();
        let (action, p) = params(&q, &MSG);
        assert_eq!(action, "SendMessage");
        assert_eq!(p["MessageBody"], MSG.body);
        assert_eq!(p["MessageAttribute.1.Name"], "event");
        assert_eq!(p["MessageAttribute.1.Value.StringValue"], "created");
        assert_eq!(p["MessageAttribute.2.Value.StringValue"], "acme");
        assert_eq!(p["MessageGroupId"], "acme");
        let updated = Message {
            event: "updated",
            ..MSG
        };
        let (_, p2) = params(&q, &updated);
        assert_ne!(p["MessageDeduplicationId"], p2["MessageDeduplicationId"]);
        assert_eq!(p["MessageDeduplicationId"].len(), 64);
        let standard = queue("https://sqs.eu-west-1.amazonaws.com/1234567890/d", "x");
        assert!(standard.is_err());
        let standard = queue("https://sqs.eu-west-1.amazonaws.com/999988887777/d", "x").unwrap();
        assert!(!params(&standard, &MSG).1.contains_key("MessageGroupId"));
    }

    #[test]
    fn the_digest_covers_destination_and_body() {
        let a = digest("https://sqs.eu-west-1.amazonaws.com/999988887777/d", "{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, digest("arn:aws:sns:eu-west-1:999988887777:d", "{}"));
        assert_ne!(
            a,
            digest("https://sqs.eu-west-1.amazonaws.com/999988887777/d", "{ }")
        );
    }
}
