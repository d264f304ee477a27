"""Imported by Python at start-up when this directory is on PYTHONPATH; the
provider-permissions acceptance test starts moto that way.

moto 5.2 checks a SigV4 signature by signing its own re-encoding of the
request: the form body parsed and encoded again the way botocore does it (and,
for a GET to a REST service, the request headers as if they were the body).
The AWS SDK for Rust leaves some characters literal that botocore escapes
(`/`, `*`), so its valid signatures are refused. The test is about
authorisation, not signatures: only the signature comparison is skipped. The
access key must still belong to a known IAM user, and the action must still
be allowed by that user's policies.
"""

from moto.iam import access_control

access_control.IAMRequestBase.check_signature = lambda self: None
