//! The two EC2 reads the provider makes at plan time, DescribeSubnets and
//! DescribeSecurityGroups, over the query protocol (src/aws/query.rs: signed
//! from the SdkConfig's credentials, retried, the SDK's endpoint precedence).
//!
//! Why not aws-sdk-ec2: for these two calls it was 600 s of a 10-minute
//! release build (the critical path) and megabytes of binary.

use aws_config::SdkConfig;
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};

use super::query::{numbered, QueryClient, EC2};

#[derive(Clone, Debug)]
pub struct Ec2(QueryClient);

impl Ec2 {
    /// The client for this SdkConfig (region, credentials, sleep) and the
    /// provider's endpoint override.
    pub fn new(
        sdk: &SdkConfig,
        endpoint_override: Option<&str>,
        region: &str,
        stop: &tokio_util::sync::CancellationToken,
    ) -> Ec2 {
        Ec2(QueryClient::new(sdk, EC2, endpoint_override, region).stoppable(stop))
    }

    /// Subnet id → availability zone, for each of `ids`. EC2 refuses the
    /// whole call (InvalidSubnetID.NotFound) when one of them does not exist.
    pub async fn describe_subnets(&self, ids: &[String]) -> Result<Vec<(String, String)>, String> {
        let params = numbered("SubnetId", ids);
        let body = self
            .0
            .call("DescribeSubnets", &params)
            .await
            .map_err(|f| f.text)?;
        subnet_zones(&body).map_err(|e| format!("reading the DescribeSubnets answer: {e}"))
    }

    /// Whether the security group exists.
    pub async fn security_group_exists(&self, id: &str) -> Result<bool, String> {
        let params = numbered("GroupId", &[id.to_string()]);
        match self.0.call("DescribeSecurityGroups", &params).await {
            Ok(body) => {
                let ids = group_ids(&body)
                    .map_err(|e| format!("reading the DescribeSecurityGroups answer: {e}"))?;
                Ok(ids.iter().any(|g| g == id))
            }
            Err(f) if f.code.as_deref() == Some("InvalidGroup.NotFound") => Ok(false),
            Err(f) => Err(f.text),
        }
    }
}

/// The children of `<set>` elements named `set` in the answer's root, each
/// read by `item`.
fn items<T>(
    body: &str,
    set: &str,
    mut item: impl FnMut(&mut ScopedDecoder) -> Result<Option<T>, String>,
) -> Result<Vec<T>, String> {
    let mut doc = Document::new(body);
    let mut root = doc.root_element().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(mut child) = root.next_tag() {
        if !child.start_el().matches(set) {
            continue;
        }
        while let Some(mut entry) = child.next_tag() {
            if let Some(v) = item(&mut entry)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// The text of the named direct children of an element, in `names` order.
fn fields<const N: usize>(
    element: &mut ScopedDecoder,
    names: [&str; N],
) -> Result<[Option<String>; N], String> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    while let Some(mut field) = element.next_tag() {
        let at = names.iter().position(|n| field.start_el().matches(n));
        if let Some(i) = at {
            out[i] = Some(try_data(&mut field).map_err(|e| e.to_string())?.to_string());
        }
    }
    Ok(out)
}

fn subnet_zones(body: &str) -> Result<Vec<(String, String)>, String> {
    items(body, "subnetSet", |item| {
        let [id, zone] = fields(item, ["subnetId", "availabilityZone"])?;
        Ok(id.zip(zone))
    })
}

fn group_ids(body: &str) -> Result<Vec<String>, String> {
    items(body, "securityGroupInfo", |item| {
        let [id] = fields(item, ["groupId"])?;
        Ok(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNETS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <subnetSet>
    <item>
      <subnetId>subnet-0a</subnetId>
      <state>available</state>
      <tagSet><item><key>availabilityZone</key><value>decoy</value></item></tagSet>
      <availabilityZone>us-east-1a</availabilityZone>
    </item>
    <item>
      <ipv6CidrBlockAssociationSet><item><ipv6CidrBlock>2001:db8::/64</ipv6CidrBlock></item></ipv6CidrBlockAssociationSet>
      <subnetId>subnet-0b</subnetId>
      <availabilityZone>us-east-1b</availabilityZone>
    </item>
  </subnetSet>
</DescribeSubnetsResponse>"#;

    #[test]
    fn subnets_are_read_with_their_zones_and_nested_sets_ignored() {
        assert_eq!(
            subnet_zones(SUBNETS).unwrap(),
            vec![
                ("subnet-0a".to_string(), "us-east-1a".to_string()),
                ("subnet-0b".to_string(), "us-east-1b".to_string()),
            ]
        );
        let empty = "<DescribeSubnetsResponse><subnetSet/></DescribeSubnetsResponse>";
        assert_eq!(subnet_zones(empty).unwrap(), vec![]);
    }

    #[test]
    fn security_groups_are_read_by_id() {
        let body = r#"<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <securityGroupInfo>
    <item><ownerId>123456789012</ownerId><groupId>sg-1</groupId><groupName>g</groupName>
      <ipPermissions><item><groups><item><groupId>sg-peer</groupId></item></groups></item></ipPermissions>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#;
        assert_eq!(group_ids(body).unwrap(), vec!["sg-1".to_string()]);
    }
}
