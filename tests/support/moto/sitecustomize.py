"""Imported by Python at start-up: the test harness (tests/common) and the
bench put this directory on moto_server's PYTHONPATH.

1. The recorder writes whole lines. moto 5.2's Recorder appends an entry's
   JSON and its newline as two writes from whichever request thread served
   it; when Terraform sends requests in parallel and one entry is large (a
   Lambda zip, a state-machine definition) another thread's line can land in
   between, and the recording has a line holding two entries and an empty
   one. A lock around the append keeps one entry per line.

2. Only with EMR_TEST_MOTO_SKIP_SIGNATURE=1 (the provider-permissions
   acceptance test): moto 5.2 checks a SigV4 signature by signing its own
   re-encoding of the request, the form body parsed and encoded again the way
   botocore does it (and, for a GET to a REST service, the request headers as
   if they were the body). The AWS SDK for Rust leaves some characters literal
   that botocore escapes (`/`, `*`), so its valid signatures are refused. That
   test is about authorisation, not signatures: only the signature comparison
   is skipped. The access key must still belong to a known IAM user, and the
   action must still be allowed by that user's policies.

3. EMR Serverless UpdateApplication on a STARTED application answers as AWS
   does. moto 5.2 refuses every update unless the application is CREATED or
   STOPPED; AWS also accepts one on a STARTED application when it sets only
   maximumCapacity, schedulerConfiguration (maxConcurrentRuns),
   imageConfiguration, workerTypeSpecifications (image) or
   extendedSupportConfiguration, and refuses anything else with the message
   below (the one AWS returns, quoted in hashicorp/terraform-provider-aws
   issue 49109).

4. EMR Serverless applications keep the settings moto 5.2 drops. moto stores
   only name, type, release label, capacities, auto start/stop and network;
   AWS also keeps (and GetApplication returns) the architecture, images,
   runtime, monitoring, interactive, scheduler, Identity Center and job-level
   cost allocation settings. They are stored as sent by CreateApplication and
   UpdateApplication (an update replaces a setting it carries, as AWS does)
   and returned under their API names, so import and drift detection can be
   tested against them.

5. EMR Serverless CreateApplication honours its clientToken as AWS does: a
   request repeating the token of an application that exists returns that
   application instead of creating another. moto 5.2 stores the token and
   ignores it, so a retry of a create whose answer was lost (the fault
   proxy's "reset after the request", tests/acceptance_faults.rs) would leave
   a second application that no state tracks, where AWS leaves one.

6. Lambda CreateFunction refuses a name that exists, as AWS does (below).

7. IAM RemoveRoleFromInstanceProfile of a role not in the profile answers
   NoSuchEntity, as AWS does (below).
"""

import json
import os
import threading

from moto.moto_api._internal.recorder.models import Recorder

_record_lock = threading.Lock()
_record_request = Recorder._record_request


def _record_request_whole_lines(self, request, body=None):
    with _record_lock:
        return _record_request(self, request, body)


Recorder._record_request = _record_request_whole_lines

if os.environ.get("EMR_TEST_MOTO_SKIP_SIGNATURE") == "1":
    from moto.iam import access_control

    access_control.IAMRequestBase.check_signature = lambda self: None

from moto.emrserverless.exceptions import ValidationException
from moto.emrserverless.responses import EMRServerlessResponse
from moto.core.responses import ActionResult

_STARTED_UPDATABLE = {
    "maximumCapacity",
    "schedulerConfiguration",
    "imageConfiguration",
    "workerTypeSpecifications",
    "extendedSupportConfiguration",
}
_STARTED_MESSAGE = (
    "Only the following configurations can be updated when an application is in "
    "STARTED state: schedulerConfiguration.maxConcurrentRuns, extendedSupportConfiguration, "
    "imageConfiguration, workerTypeSpecifications.imageConfiguration, maximumCapacity."
)
_update_lock = threading.Lock()
_update_application = EMRServerlessResponse.update_application


def _update_application_as_aws(self):
    app = self.emrserverless_backend.applications.get(self._get_param("applicationId"))
    if app is None or app.state != "STARTED":
        return _update_application(self)
    fields = set(json.loads(self.body or "{}")) - {"clientToken"}
    if not fields <= _STARTED_UPDATABLE:
        raise ValidationException(_STARTED_MESSAGE)
    # moto's own check wants STOPPED: pass it for this one request.
    with _update_lock:
        app.state = "STOPPED"
        try:
            return _update_application(self)
        finally:
            app.state = "STARTED"


EMRServerlessResponse.update_application = _update_application_as_aws

_KEPT = (
    "architecture",
    "imageConfiguration",
    "workerTypeSpecifications",
    "runtimeConfiguration",
    "monitoringConfiguration",
    "interactiveConfiguration",
    "schedulerConfiguration",
    "identityCenterConfiguration",
    "jobLevelCostAllocationConfiguration",
)
_create_application = EMRServerlessResponse.create_application
_update_application_kept = EMRServerlessResponse.update_application


def _keep_settings(self, app_id):
    app = self.emrserverless_backend.applications.get(app_id)
    if app is None:
        return
    body = json.loads(self.body or "{}")
    for key in _KEPT:
        if key not in body:
            continue
        value = body[key]
        if key == "workerTypeSpecifications":
            # Per worker type, as updates send them: an image without a URI
            # removes that worker type's image.
            have = dict(getattr(app, key, None) or {})
            for worker, spec in value.items():
                if (spec.get("imageConfiguration") or {}).get("imageUri"):
                    have[worker] = spec
                else:
                    have.pop(worker, None)
            value = have
        elif key == "imageConfiguration" and not value.get("imageUri"):
            value = None
        elif key == "runtimeConfiguration" and not value:
            value = None
        setattr(app, key, value)


def _create_application_keeping(self):
    token = self._get_param("clientToken")
    if token:
        for app in list(self.emrserverless_backend.applications.values()):
            if app.client_token == token and app.state != "TERMINATED":
                return ActionResult(
                    {"applicationId": app.id, "name": app.name, "arn": app.arn}
                )
    result = _create_application(self)
    _keep_settings(self, result.result.get("applicationId") if hasattr(result, "result") else None)
    return result


def _update_application_keeping(self):
    result = _update_application_kept(self)
    _keep_settings(self, self._get_param("applicationId"))
    return result


EMRServerlessResponse.create_application = _create_application_keeping
EMRServerlessResponse.update_application = _update_application_keeping


# 6. Lambda CreateFunction of a name that exists fails as in AWS (409
#    ResourceConflictException "Function already exist"); moto 5.2 replaces
#    the function instead. A create retried after its answer was lost meets
#    this error in AWS, and the provider must cope with it.
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend


class _FunctionExists(LambdaClientError):
    code = 409

    def __init__(self, name):
        super().__init__("ResourceConflictException", f"Function already exist: {name}")


_create_function = LambdaBackend.create_function


def _create_function_once(self, spec):
    name = spec.get("FunctionName")
    if name and name in self._lambdas._functions:
        raise _FunctionExists(name)
    return _create_function(self, spec)


LambdaBackend.create_function = _create_function_once


# 7. IAM RemoveRoleFromInstanceProfile of a role the profile does not hold
#    answers NoSuchEntity, as AWS does; moto 5.2 fails with HTTP 500
#    (list.remove raises). A remove retried after its answer was lost meets it.
from moto.iam.exceptions import NotFoundException as IAMNotFoundException
from moto.iam.models import IAMBackend

_remove_role_from_instance_profile = IAMBackend.remove_role_from_instance_profile


def _remove_role_if_held(self, profile_name, role_name):
    profile = self.get_instance_profile(profile_name)
    if all(r.name != role_name for r in profile.roles):
        raise IAMNotFoundException(
            f"Role {role_name} is not in instance profile {profile_name}."
        )
    return _remove_role_from_instance_profile(self, profile_name, role_name)


IAMBackend.remove_role_from_instance_profile = _remove_role_if_held
