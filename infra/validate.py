#!/usr/bin/env python3
"""Offline validation of the artflow SAM template: no AWS account, no network.

1. Transform the SAM template into plain CloudFormation with aws-sam-translator, the library
   `sam validate` and CloudFormation's own transform use. SAM's errors (a malformed event, an
   unknown policy template, a bad property type) surface here.
2. Lint the transformed template with cfn-lint against the CloudFormation resource schemas, so
   the resources SAM generates (roles, permissions, routes) are checked as well as the ones
   written by hand. Errors and warnings both fail.
3. Check what artflow itself needs of the result: the SQS event source reports batch item
   failures, and the queue's visibility timeout is at least six times the processor's timeout
   for every allowed parameter value.

Usage: python3 infra/validate.py [TEMPLATE] [--region R ...] [--output FILE]
Exit status: 0 valid, 1 invalid, 2 the tools are missing or the file cannot be read.
Needs: pip install aws-sam-translator cfn-lint
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fail(status: int, message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(status)


try:
    from cfnlint import decode as cfn_decode
    from cfnlint.api import ManualArgs, lint
    from cfnlint.data import Serverless
    from cfnlint.helpers import load_resource
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
except ImportError as e:
    fail(2, f"validate.py needs aws-sam-translator and cfn-lint ({e}); pip install aws-sam-translator cfn-lint")


class OfflinePolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader, which lists AWS managed policies with
    IAM's ListPolicies. Names resolve through the list of AWS managed policies that cfn-lint
    ships, so a misspelled policy name still fails the transform."""

    def load(self) -> dict[str, str]:
        return dict(load_resource(Serverless, "ManagedPolicies.json"))


def localize_code_uris(template: dict) -> None:
    """The translator accepts only S3 locations for code; `sam build`/`sam package` replace the
    local paths with S3 ones before deploying. Do the same with a stand-in location."""
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict):
            continue
        props = resource.get("Properties")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props, dict):
            uri = props.get("CodeUri")
            if isinstance(uri, str) and not uri.startswith("s3://"):
                props["CodeUri"] = "s3://offline-validation/code.zip"


def load_template(path: Path) -> dict:
    if not path.is_file():
        fail(2, f"{path}: no such file")
    template, matches = cfn_decode.decode(str(path))
    if matches:
        for m in matches:
            print(f"{path}:{m.linenumber}: {m.message}", file=sys.stderr)
        fail(1, f"{path}: cannot be parsed as a CloudFormation template")
    if not isinstance(template, dict):
        fail(1, f"{path}: the template is not a mapping")
    # cfn-lint's nodes carry line numbers; the translator wants plain dicts, lists and strings.
    return json.loads(json.dumps(template))


def translate(path: Path, template: dict, region: str) -> dict:
    localize_code_uris(template)
    # The translator picks the partition of the ARNs it writes from the region (boto's default).
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return transform(template, {}, OfflinePolicyLoader())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"{path}: SAM transform: {cause.message}", file=sys.stderr)
        fail(1, f"{path}: the SAM transform failed ({len(e.causes)} error(s))")
    except Exception as e:  # the translator raises plain exceptions for some malformed input
        fail(1, f"{path}: SAM transform: {type(e).__name__}: {e}")
    raise AssertionError("unreachable")


def parameter_choices(template: dict, name: str) -> list:
    """The values a parameter can take: its AllowedValues, else its Default."""
    param = (template.get("Parameters") or {}).get(name)
    if not isinstance(param, dict):
        raise ValueError(f"Ref {name} is not a parameter")
    if "AllowedValues" in param:
        return list(param["AllowedValues"])
    if "Default" in param:
        return [param["Default"]]
    raise ValueError(f"parameter {name} has neither AllowedValues nor Default")


def evaluate(template: dict, value, bindings: dict):
    """A number from a literal, a Ref to a bound parameter, or a FindInMap keyed by one."""
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return int(bindings[value["Ref"]])
    if isinstance(value, dict) and set(value) == {"Fn::FindInMap"}:
        name, first, second = (
            bindings[k["Ref"]] if isinstance(k, dict) and set(k) == {"Ref"} else k for k in value["Fn::FindInMap"]
        )
        return int(template["Mappings"][name][str(first)][second])
    raise ValueError(f"cannot evaluate {json.dumps(value)}")


def refs_in(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["Ref"]} if set(value) == {"Ref"} and isinstance(value["Ref"], str) else set()
        for v in value.values():
            found |= refs_in(v)
        return found
    if isinstance(value, list):
        return set().union(*(refs_in(v) for v in value)) if value else set()
    return set()


def artflow_checks(template: dict) -> list[str]:
    """What artflow needs beyond a valid template: every SQS event source reports batch item
    failures (without it the processor's per-message failures would be ignored and the failed
    events deleted), and the queue's visibility timeout is at least six times the consumer's
    timeout for every parameter value allowed."""
    problems = []
    resources = template.get("Resources") or {}
    for rid, res in resources.items():
        if res.get("Type") != "AWS::Lambda::EventSourceMapping":
            continue
        props = res.get("Properties") or {}
        source = props.get("EventSourceArn")
        if not (isinstance(source, dict) and "Fn::GetAtt" in source):
            problems.append(f"{rid}: EventSourceArn is not a queue of this template")
            continue
        queue_id = source["Fn::GetAtt"][0]
        queue = resources.get(queue_id) or {}
        if queue.get("Type") != "AWS::SQS::Queue":
            continue
        if "ReportBatchItemFailures" not in (props.get("FunctionResponseTypes") or []):
            problems.append(f"{rid}: FunctionResponseTypes must contain ReportBatchItemFailures")
        fn = props.get("FunctionName")
        fn_id = fn.get("Ref") if isinstance(fn, dict) else None
        function = resources.get(fn_id) or {}
        timeout_expr = (function.get("Properties") or {}).get("Timeout", 3)
        visibility_expr = (queue.get("Properties") or {}).get("VisibilityTimeout", 30)
        params = sorted(refs_in(timeout_expr) | refs_in(visibility_expr))
        try:
            combos = [{}]
            for name in params:
                combos = [dict(c, **{name: v}) for c in combos for v in parameter_choices(template, name)]
            for bindings in combos:
                timeout = evaluate(template, timeout_expr, bindings)
                visibility = evaluate(template, visibility_expr, bindings)
                if visibility < 6 * timeout:
                    where = ", ".join(f"{k}={v}" for k, v in bindings.items()) or "as written"
                    problems.append(
                        f"{queue_id}: VisibilityTimeout {visibility} s is less than six times "
                        f"{fn_id}'s Timeout {timeout} s ({where})"
                    )
        except (KeyError, ValueError, TypeError) as e:
            problems.append(f"{queue_id}/{fn_id}: cannot check visibility timeout against timeout: {e}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template", nargs="?", default=str(HERE / "template.yaml"))
    parser.add_argument(
        "--region",
        action="append",
        dest="regions",
        help="region(s) to lint for (default: us-east-1 and eu-west-1)",
    )
    parser.add_argument("--output", help="also write the transformed CloudFormation (JSON) here")
    args = parser.parse_args()
    regions = args.regions or ["us-east-1", "eu-west-1"]

    path = Path(args.template)
    transformed = translate(path, load_template(path), regions[0])
    text = json.dumps(transformed, indent=2, sort_keys=True)
    if args.output:
        Path(args.output).write_text(text + "\n")

    matches = lint(text, config=ManualArgs(regions=regions))
    problems = [m for m in matches if m.rule.severity in ("error", "warning")]
    for m in problems:
        where = "/".join(str(p) for p in m.path) if getattr(m, "path", None) else "?"
        message = m.message if len(m.message) <= 300 else m.message[:300] + " ..."
        print(f"{path} (transformed) {m.rule.id} [{m.rule.severity}] {where}: {message}", file=sys.stderr)
    if problems:
        fail(1, f"{path}: cfn-lint found {len(problems)} problem(s) in the transformed template")

    own = artflow_checks(transformed)
    for problem in own:
        print(f"{path} (transformed): {problem}", file=sys.stderr)
    if own:
        fail(1, f"{path}: {len(own)} artflow requirement(s) not met")

    resources = transformed.get("Resources", {})
    print(
        f"{path}: valid (SAM transform, then cfn-lint for {', '.join(regions)}: "
        f"{len(resources)} CloudFormation resources)"
    )


if __name__ == "__main__":
    main()
