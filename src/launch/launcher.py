"""Launcher of an EMR launch function (emrlaunch/emr), for profiles whose
Kerberos attributes come from Secrets Manager.

Pinned: the launch it may perform is the file launch.json in its own package,
fixed by Terraform at plan (the request, the overrides and their bounds or
allowed values, the governed tags, the default cluster name, the secret ARN).
The event may carry only ClusterName, Overrides and Tags; they are checked
here exactly as the state machine checks them, so invoking this function
directly launches nothing the state machine could not. The secret value goes
to EMR and nowhere else: not into the result, the logs or an error message.
The result is the cluster id only.
"""

import copy
import json
import os
import re

import boto3
from botocore.exceptions import ClientError

KERBEROS_KEYS = (
    "Realm",
    "KdcAdminPassword",
    "CrossRealmTrustPrincipalPassword",
    "ADDomainJoinUser",
    "ADDomainJoinPassword",
)
INPUT_KEYS = ("ClusterName", "Overrides", "Tags")
ACTIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]
_STEP = re.compile(r"^([A-Za-z0-9]+)((?:\[\d+\])*)$")


class LaunchError(Exception):
    """A launch failure whose message carries no secret value."""


def load_launch(path=None):
    """The launch fixed at plan, from this package."""
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_event(event, launch):
    """(cluster name, overrides, tags) of a valid event; LaunchError otherwise."""
    if not isinstance(event, dict):
        raise LaunchError("InvalidInput: the event must be an object with ClusterName, Overrides and Tags")
    extra = sorted(k for k in event if k not in INPUT_KEYS)
    if extra:
        raise LaunchError("InvalidInput: the event may only have ClusterName, Overrides and Tags, not %s" % ", ".join(extra))
    name = event.get("ClusterName", launch["ClusterName"])
    if not isinstance(name, str) or not 1 <= len(name) <= 256 or any(ord(c) < 32 for c in name):
        raise LaunchError("InvalidInput: ClusterName must be a string of 1 to 256 characters")
    overrides = event.get("Overrides") or {}
    if not isinstance(overrides, dict):
        raise LaunchError("InvalidInput: Overrides must be an object")
    defined = {o["Name"]: o for o in launch.get("Overrides", [])}
    unknown = sorted(k for k in overrides if k not in defined)
    if unknown:
        raise LaunchError(
            "UnknownOverride: %s not allowed (allowed: %s)" % (", ".join(unknown), ", ".join(sorted(defined)) or "none")
        )
    for key, value in overrides.items():
        o = defined[key]
        if "AllowedValues" in o:
            if not isinstance(value, str) or value not in o["AllowedValues"]:
                raise LaunchError("InvalidOverride: override %s = %s is not one of its allowed values" % (key, json.dumps(value)))
            continue
        if not _is_number(value):
            raise LaunchError("InvalidOverride: override %s must be a number" % key)
        if "Minimum" in o and value < o["Minimum"]:
            raise LaunchError("InvalidOverride: override %s = %s is below its minimum %s" % (key, value, o["Minimum"]))
        if "Maximum" in o and value > o["Maximum"]:
            raise LaunchError("InvalidOverride: override %s = %s is above its maximum %s" % (key, value, o["Maximum"]))
    tags = event.get("Tags") or []
    if not isinstance(tags, list):
        raise LaunchError("InvalidInput: Tags must be a list of {Key, Value} objects")
    governed = {k.lower() for k in launch.get("GovernedTags", {})}
    for t in tags:
        if not (isinstance(t, dict) and set(t) == {"Key", "Value"} and all(isinstance(t[k], str) for k in t)):
            raise LaunchError("InvalidInput: each element of Tags must be {\"Key\": \"...\", \"Value\": \"...\"}")
        if t["Key"].lower() in governed:
            raise LaunchError("GovernedTag: tag %s is set by this launch function and cannot be changed at launch" % t["Key"])
    return name, overrides, tags


def _set_path(request, path, value):
    """Replaces the value an existing path names (paths were checked at plan)."""
    steps = path.split(".")
    cur = request
    for i, step in enumerate(steps):
        m = _STEP.match(step)
        if not m:
            raise LaunchError("the pinned override path %s is malformed" % path)
        key, idx = m.group(1), [int(x) for x in re.findall(r"\d+", m.group(2))]
        last = i == len(steps) - 1
        if last and not idx:
            cur[key] = value
            return
        cur = cur[key]
        for j, n in enumerate(idx):
            if last and j == len(idx) - 1:
                cur[n] = value
                return
            cur = cur[n]


def build_request(launch, name, overrides, tags):
    """The RunJobFlow request (without Kerberos attributes)."""
    request = copy.deepcopy(launch["Request"])
    defined = {o["Name"]: o for o in launch.get("Overrides", [])}
    for key, value in overrides.items():
        _set_path(request, defined[key]["Path"], value)
    request["Name"] = name
    governed = [{"Key": k, "Value": v} for k, v in sorted(launch.get("GovernedTags", {}).items())]
    request["Tags"] = governed + [dict(t) for t in tags]
    return request


def _scrub(text, secrets):
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, "***")
    return text


def read_kerberos(client, arn, secrets):
    try:
        text = client.get_secret_value(SecretId=arn).get("SecretString")
    except ClientError as e:
        err = e.response.get("Error", {})
        raise LaunchError("reading secret %s: %s: %s" % (arn, err.get("Code"), err.get("Message"))) from None
    if text is None:
        raise LaunchError("secret %s has no SecretString" % arn)
    secrets.append(text)
    try:
        values = json.loads(text)
    except ValueError:
        raise LaunchError("secret %s is not a JSON object" % arn) from None
    if not isinstance(values, dict):
        raise LaunchError("secret %s is not a JSON object" % arn)
    out = {}
    for key, value in values.items():
        value = value if isinstance(value, str) else json.dumps(value)
        secrets.append(value)
        out[str(key)] = value
    unknown = sorted(k for k in out if k not in KERBEROS_KEYS)
    if unknown:
        raise LaunchError("secret %s has keys that are not Kerberos attributes: %s" % (arn, ", ".join(unknown)))
    return out


def refuse_if_running(emr, name):
    kwargs = {"ClusterStates": ACTIVE_STATES}
    while True:
        page = emr.list_clusters(**kwargs)
        for c in page.get("Clusters", []):
            if c.get("Name") == name:
                raise LaunchError("ClusterAlreadyRunning: cluster %s (%s) is already active with this name" % (name, c.get("Id")))
        if not page.get("Marker"):
            return
        kwargs["Marker"] = page["Marker"]


def launch_cluster(event, launch, secret_client, emr):
    """Checks the event, builds the request from the pinned launch, launches."""
    name, overrides, tags = check_event(event, launch)
    request = build_request(launch, name, overrides, tags)
    if launch.get("FailIfClusterRunning"):
        refuse_if_running(emr, name)
    secrets = []
    try:
        request["KerberosAttributes"] = read_kerberos(secret_client, launch["KerberosAttributesSecretArn"], secrets)
        response = emr.run_job_flow(**request)
    except LaunchError as e:
        raise LaunchError(_scrub(str(e), secrets)) from None
    except ClientError as e:
        err = e.response.get("Error", {})
        raise LaunchError(_scrub("RunJobFlow: %s: %s" % (err.get("Code"), err.get("Message")), secrets)) from None
    except Exception as e:  # parameter validation and the like may echo values
        raise LaunchError(_scrub("%s: %s" % (type(e).__name__, e), secrets)) from None
    return response["JobFlowId"]


def handler(event, context):
    launch = load_launch()
    cluster_id = launch_cluster(event, launch, boto3.client("secretsmanager"), boto3.client("emr"))
    return {"ClusterId": cluster_id}
