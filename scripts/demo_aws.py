"""The AWS side of `make demo`, through boto3 against the local emulator.

scripts/demo.sh runs this with the tools venv's python (moto brings boto3)
and AWS_ENDPOINT_URL pointing at the emulator. Subcommands:

  setup ROLE TFVARS            what a real account already has; writes the
                               example's variables to TFVARS (JSON)
  applied SHARED_ROLE          what the platform hands out, from `terraform output
                               -json` on stdin (external ids hidden)
  launch SM NAME INPUT         start an execution, wait, show the cluster it started
  refused SM NAME INPUT        start an execution that must fail, show why
  terminate-clusters           terminate the clusters the demo launched
  empty SHARED_ROLE SC...      list what is left; exit 1 if the provider left anything
                               (SC: the security configuration names to look for)

Output is narration: short lines, indented under the step headers of demo.sh.
No secret value is ever printed.
"""

import json
import secrets
import sys
import time

import boto3

REGION = "us-east-1"
SECRET_NAME = "analytics/hive-metastore-password"
SECRET_PROPERTY = "javax.jdo.option.ConnectionPassword"
METADATA_PREFIX = "/emr_launch"


def client(service):
    # AWS_ENDPOINT_URL (set by demo.sh) points every client at the emulator.
    return boto3.client(service, region_name=REGION)


def say(line=""):
    print(f"   {line}" if line else "", flush=True)


def setup():
    """A VPC with subnets in two zones, a security group, the control
    plane's existing role, and the metastore password in Secrets Manager."""
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in [("10.20.1.0/24", "us-east-1a"), ("10.20.2.0/24", "us-east-1b")]
    ]
    sg = ec2.create_security_group(
        GroupName="emr-jobs", Description="EMR Serverless jobs", VpcId=vpc
    )["GroupId"]
    iam = client("iam")
    account = client("sts").get_caller_identity()["Account"]
    iam.create_role(
        RoleName=sys.argv[2],
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        Description="The platform's control plane (exists before Terraform runs)",
    )
    # A random password nobody sees: the demo shows that only its ARN travels.
    secret_arn = client("secretsmanager").create_secret(
        Name=SECRET_NAME, SecretString=secrets.token_urlsafe(24)
    )["ARN"]
    say(f"VPC {vpc}: subnets {subnets[0]} (us-east-1a), {subnets[1]} (us-east-1b)")
    say(f"security group {sg}")
    say(f"IAM role {sys.argv[2]} (the platform's control plane)")
    say(f"secret {SECRET_NAME} (the Hive metastore password; value not shown)")
    tfvars = {
        "subnet_ids": subnets,
        "security_group_ids": [sg],
        "hive_metastore_password_secret_arn": secret_arn,
        "shared_launch_role_name": sys.argv[2],
    }
    with open(sys.argv[3], "w") as f:
        json.dump(tfvars, f, indent=2)


def as_list(v):
    return v if isinstance(v, list) else [v]


def applied():
    """What the platform team hands out, from `terraform output -json` on stdin."""
    out = {k: v["value"] for k, v in json.load(sys.stdin).items()}
    say("Who may launch: whoever the team attaches invoke_policy_json to. It allows")
    for s in json.loads(out["invoke_policy_json"])["Statement"]:
        say(f"  {', '.join(as_list(s['Action']))}")
        say(f"    on {', '.join(as_list(s['Resource']))}")
    say("and nothing else: no EMR, no IAM, no other state machine.")
    say()
    say("Steps on those clusters run as a team's runtime role:")
    for team, arn in sorted(out["runtime_role_arns"].items()):
        say(f"  {team.replace('_', ' ') + ':':<16}{arn}")
    say()
    shared_role = sys.argv[2]
    policies = client("iam").list_role_policies(RoleName=shared_role)["PolicyNames"]
    say(f"Shared data plane: {shared_role} got the inline policy {', '.join(policies)}:")
    say(f"  it may run EMR Serverless jobs as {out['shared_job_runtime_role_arn']}")
    say()
    say("Private data planes: each customer's control plane gets its message")
    say("(the external ids are hidden here):")
    ids = set()
    for name, text in sorted(out["control_plane_messages"].items()):
        msg = json.loads(text)
        ext = msg.get("externalId", "")
        ids.add(ext)
        msg["externalId"] = f"<hidden, {len(ext)} characters>"
        say(f"  {name}:")
        for key in sorted(msg):
            say(f"    {key}: {json.dumps(msg[key])}")
    if len(ids) != len(out["control_plane_messages"]) or "" in ids:
        say("expected one distinct external id per customer")
        sys.exit(1)
    say(f"  {len(ids)} customers, {len(ids)} different external ids.")


def run_execution(sm, name, text):
    sfn = client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=sm, name=name, input=text)["executionArn"]
    deadline = time.time() + 90
    while True:
        desc = sfn.describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING":
            return sfn, arn, desc
        if time.time() > deadline:
            say(f"execution {name} still RUNNING after 90 seconds")
            sys.exit(1)
        time.sleep(0.2)


def cluster_ids():
    return {c["Id"] for c in client("emr").list_clusters()["Clusters"]}


def launch():
    sm, name, text = sys.argv[2:5]
    say(f"input: {text}")
    _, _, desc = run_execution(sm, name, text)
    say(f"execution {name}: {desc['status']}")
    if desc["status"] != "SUCCEEDED":
        say(f"error: {desc.get('error', '')}: {desc.get('cause', '')}")
        sys.exit(1)
    output = json.loads(desc["output"])
    say(f"output: {json.dumps(output)}")
    c = client("emr").describe_cluster(ClusterId=output["ClusterId"])["Cluster"]
    say()
    say(f"cluster {c['Id']} \"{c['Name']}\" is {c['Status']['State']}:")
    attrs = c.get("Ec2InstanceAttributes", {})
    say(f"  service role:           {c.get('ServiceRole')}")
    say(f"  instance profile:       {attrs.get('IamInstanceProfile')}")
    say(f"  autoscaling role:       {c.get('AutoScalingRole')}")
    say(f"  security configuration: {c.get('SecurityConfiguration')}")
    groups = {
        g["InstanceGroupType"]: g for g in client("emr").list_instance_groups(ClusterId=c["Id"])["InstanceGroups"]
    }
    for kind, label in [("MASTER", "primary node"), ("CORE", "core nodes")]:
        if kind in groups:
            g = groups[kind]
            say(f"  {label + ':':<24}{g['RequestedInstanceCount']} x {g['InstanceType']}")
    for conf in c.get("Configurations", []):
        ref = conf.get("Properties", {}).get(f"EMR.secret@{SECRET_PROPERTY}")
        if ref:
            say(f"  metastore password:     EMR reads it from {ref}")
    tags = ", ".join(f"{t['Key']}={t['Value']}" for t in sorted(c.get("Tags", []), key=lambda t: t["Key"]))
    say(f"  tags:                   {tags}")


def refused():
    sm, name, text = sys.argv[2:5]
    before = cluster_ids()
    say(f"input: {text}")
    sfn, arn, desc = run_execution(sm, name, text)
    say(f"execution {name}: {desc['status']}")
    if desc["status"] != "FAILED":
        say("expected the launch to be refused")
        sys.exit(1)
    events = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    failed = next(
        (e["executionFailedEventDetails"] for e in events if e["type"] == "ExecutionFailed"),
        {},
    )
    say(f"error (from the execution history): {failed.get('error', '')}")
    say(f"cause: {failed.get('cause', '')}")
    if cluster_ids() != before:
        say("but a cluster was started")
        sys.exit(1)
    say("No cluster was started: the check runs before RunJobFlow.")


def terminate_clusters():
    emr = client("emr")
    ids = [
        c["Id"]
        for c in emr.list_clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"])["Clusters"]
    ]
    if ids:
        emr.terminate_job_flows(JobFlowIds=ids)
    say(f"terminated: {', '.join(ids) or 'none'}")


def security_configuration_exists(name):
    emr = client("emr")
    try:
        emr.describe_security_configuration(Name=name)
        return True
    except emr.exceptions.InvalidRequestException:
        return False


def empty():
    shared_role = sys.argv[2]
    iam = client("iam")
    left = {}
    roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
    left["IAM roles"] = [r for r in roles if r != shared_role]
    left[f"inline policies on {shared_role}"] = iam.list_role_policies(RoleName=shared_role)["PolicyNames"]
    left["instance profiles"] = [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]]
    params = client("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [METADATA_PREFIX]}]
    )["Parameters"]
    left[f"SSM parameters under {METADATA_PREFIX}"] = [p["Name"] for p in params]
    left["Step Functions state machines"] = [m["name"] for m in client("stepfunctions").list_state_machines()["stateMachines"]]
    # The emulator has no ListSecurityConfigurations: ask for each name.
    left["EMR security configurations"] = [n for n in sys.argv[3:] if security_configuration_exists(n)]
    for what, names in left.items():
        say(f"{what + ':':<40} {', '.join(names) or 'none'}")
    if any(left.values()):
        say("the provider left something behind")
        sys.exit(1)


COMMANDS = {
    "setup": setup,
    "applied": applied,
    "launch": launch,
    "refused": refused,
    "terminate-clusters": terminate_clusters,
    "empty": empty,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: demo_aws.py {{{'|'.join(COMMANDS)}}} ...")
    COMMANDS[sys.argv[1]]()
