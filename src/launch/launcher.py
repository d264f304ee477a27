"""Launcher of an EMR launch function (emrlaunch/emr).

Invoked by the function's state machine with {"Request": <RunJobFlow request>}.
Reads the secrets this function was given by Terraform (ARNs in the
environment, never in the event), merges their values into the request,
calls RunJobFlow and returns only the cluster id. Secret values go to EMR
and nowhere else: not into the result, the logs or an error message.
"""

import copy
import json
import os

import boto3
from botocore.exceptions import ClientError

KERBEROS_KEYS = (
    "Realm",
    "KdcAdminPassword",
    "CrossRealmTrustPrincipalPassword",
    "ADDomainJoinUser",
    "ADDomainJoinPassword",
)


class LaunchError(Exception):
    """A launch failure whose message carries no secret value."""


def _settings():
    configs = json.loads(os.environ.get("SECRET_CONFIGURATIONS", "[]"))
    kerberos = os.environ.get("KERBEROS_ATTRIBUTES_SECRET_ARN") or None
    return configs, kerberos


def _scrub(text, secrets):
    for value in sorted(secrets, key=len, reverse=True):
        if value:
            text = text.replace(value, "***")
    return text


def _read_secret(client, arn, secrets):
    try:
        text = client.get_secret_value(SecretId=arn).get("SecretString")
    except ClientError as e:
        err = e.response.get("Error", {})
        raise LaunchError(
            "reading secret %s: %s: %s" % (arn, err.get("Code"), err.get("Message"))
        ) from None
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
    return out


def merge_properties(configurations, classification, properties):
    """Adds properties to the classification's entry (created when absent)."""
    for entry in configurations:
        if entry.get("Classification") == classification:
            entry.setdefault("Properties", {}).update(properties)
            return
    configurations.append({"Classification": classification, "Properties": dict(properties)})


def build_request(request, secret_client, secrets):
    """The request with every secret merged in; `secrets` collects the values read."""
    configs, kerberos = _settings()
    request = copy.deepcopy(request)
    for config in configs:
        values = _read_secret(secret_client, config["SecretArn"], secrets)
        merge_properties(request.setdefault("Configurations", []), config["Classification"], values)
    if kerberos:
        values = _read_secret(secret_client, kerberos, secrets)
        unknown = sorted(k for k in values if k not in KERBEROS_KEYS)
        if unknown:
            raise LaunchError(
                "secret %s has keys that are not Kerberos attributes: %s" % (kerberos, ", ".join(unknown))
            )
        request["KerberosAttributes"] = values
    return request


def handler(event, context):
    request = event.get("Request") if isinstance(event, dict) else None
    if not isinstance(request, dict):
        raise LaunchError("the event has no Request object")
    secrets = []
    try:
        full = build_request(request, boto3.client("secretsmanager"), secrets)
        response = boto3.client("emr").run_job_flow(**full)
    except LaunchError as e:
        raise LaunchError(_scrub(str(e), secrets)) from None
    except ClientError as e:
        err = e.response.get("Error", {})
        message = "RunJobFlow: %s: %s" % (err.get("Code"), err.get("Message"))
        raise LaunchError(_scrub(message, secrets)) from None
    except Exception as e:  # parameter validation and the like may echo values
        raise LaunchError(_scrub("%s: %s" % (type(e).__name__, e), secrets)) from None
    return {"ClusterId": response["JobFlowId"]}
