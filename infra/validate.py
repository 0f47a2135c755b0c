#!/usr/bin/env python3
"""Offline validation of the artflow SAM template: no AWS account, no network.

1. Transform the SAM template into plain CloudFormation with aws-sam-translator, the library
   `sam validate` and CloudFormation's own transform use. SAM's errors (a malformed event, an
   unknown policy template, a bad property type) surface here.
2. Lint the transformed template with cfn-lint against the CloudFormation resource schemas, so
   the resources SAM generates (roles, permissions, routes) are checked as well as the ones
   written by hand. Errors and warnings both fail.
3. Check what artflow itself needs of the result: the SQS event source reports batch item
   failures; the queue's visibility timeout is at least six times the processor's timeout plus
   the batching window for every allowed parameter value; every function has an alarm on its
   Errors; the api function requires a read token unless PublicReads=true; and the template's
   Rules refuse exactly the ReconcileLookbackMinutes that are not above ReconcileEveryMinutes.
4. Check that infra/samconfig.toml builds and deploys the same Architecture (a guided deploy
   saves its answers under deploy only; `sam build` reads the build section).

Usage: python3 infra/validate.py [TEMPLATE] [--samconfig FILE] [--region R ...] [--output FILE]
Exit status: 0 valid, 1 invalid, 2 the tools are missing or the file cannot be read.
Needs: pip install aws-sam-translator cfn-lint
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tomllib
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
    """The values a parameter can take: its AllowedValues, else its Default and the ends of its
    MinValue..MaxValue range (the extremes are where a sum or product is smallest or largest)."""
    param = (template.get("Parameters") or {}).get(name)
    if not isinstance(param, dict):
        raise ValueError(f"Ref {name} is not a parameter")
    if "AllowedValues" in param:
        return list(param["AllowedValues"])
    values = [param[k] for k in ("MinValue", "Default", "MaxValue") if k in param]
    if values:
        return sorted(set(values), key=values.index)
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


class NotEvaluable(Exception):
    pass


def condition_value(template: dict, name: str, params: dict) -> bool:
    return bool(cfn_eval(template, template["Conditions"][name], params))


def cfn_eval(template: dict, expr, params: dict):
    """The value of a Rules or Conditions expression, or of a property built with Fn::If, for
    these parameter values (strings; parameters not given take their Default)."""
    if isinstance(expr, (str, int, float, bool)):
        return str(expr) if not isinstance(expr, bool) else expr
    if isinstance(expr, list):
        return [cfn_eval(template, e, params) for e in expr]
    if not isinstance(expr, dict) or len(expr) != 1:
        raise NotEvaluable(json.dumps(expr))
    (fn, arg), = expr.items()
    if fn == "Ref":
        if arg == "AWS::NoValue":
            return None
        if arg in params:
            return str(params[arg])
        param = (template.get("Parameters") or {}).get(arg)
        if isinstance(param, dict) and "Default" in param:
            return str(param["Default"])
        return {"Ref": arg}  # a resource: its identity is enough here
    if fn == "Fn::Equals":
        a, b = (cfn_eval(template, x, params) for x in arg)
        return a == b
    if fn == "Fn::Not":
        return not cfn_eval(template, arg[0], params)
    if fn == "Fn::And":
        return all(cfn_eval(template, x, params) for x in arg)
    if fn == "Fn::Or":
        return any(cfn_eval(template, x, params) for x in arg)
    if fn in ("Condition", "Fn::Condition"):
        return condition_value(template, arg, params)
    if fn == "Fn::Contains":
        values, value = (cfn_eval(template, x, params) for x in arg)
        return value in values
    if fn == "Fn::If":
        name, yes, no = arg
        return cfn_eval(template, yes if condition_value(template, name, params) else no, params)
    raise NotEvaluable(fn)


def rules_pass(template: dict, params: dict) -> bool:
    """Whether every rule of the template admits these parameter values."""
    for rule in (template.get("Rules") or {}).values():
        if "RuleCondition" in rule and not cfn_eval(template, rule["RuleCondition"], params):
            continue
        if not all(cfn_eval(template, a["Assert"], params) for a in rule.get("Assertions", [])):
            return False
    return True


def lookback_rule_problems(template: dict) -> list[str]:
    """The Rules refuse a ReconcileLookbackMinutes exactly when it is not above
    ReconcileEveryMinutes, for every allowed period (Rules cannot compare numbers, so the template
    spells the refused values out)."""
    problems = []
    try:
        periods = [int(v) for v in parameter_choices(template, "ReconcileEveryMinutes")]
        lowest = int(template["Parameters"]["ReconcileLookbackMinutes"].get("MinValue", 1))
        for every in periods:
            for lookback in range(lowest, 2 * max(periods) + 2):
                params = {"ReconcileEveryMinutes": str(every), "ReconcileLookbackMinutes": str(lookback)}
                admitted = rules_pass(template, params)
                if admitted != (lookback > every):
                    verb = "admit" if admitted else "refuse"
                    problems.append(
                        f"Rules: {verb} ReconcileLookbackMinutes={lookback} with "
                        f"ReconcileEveryMinutes={every} (the lookback must be more than the period)"
                    )
    except (KeyError, ValueError, TypeError, NotEvaluable) as e:
        problems.append(f"Rules: cannot check ReconcileLookbackMinutes against ReconcileEveryMinutes: {e}")
    return problems


def read_token_problems(template: dict) -> list[str]:
    """The function with the admin route's token (the api function) requires a read token from a
    secret it may read, unless PublicReads=true; with PublicReads=true it has none."""
    problems = []
    resources = template.get("Resources") or {}
    api = [
        (rid, r)
        for rid, r in resources.items()
        if r.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        and "ARTFLOW_ADMIN_TOKEN_ARN" in (((r.get("Properties") or {}).get("Environment") or {}).get("Variables") or {})
    ]
    if not api:
        return ["no function has ARTFLOW_ADMIN_TOKEN_ARN: cannot find the api function"]
    for rid, r in api:
        variables = r["Properties"]["Environment"]["Variables"]
        if "ARTFLOW_READ_TOKEN_ARN" not in variables:
            problems.append(f"{rid}: reads are unauthenticated (no ARTFLOW_READ_TOKEN_ARN)")
            continue
        cases = [
            ({"PublicReads": "false", "ReadTokenSecretArn": ""}, {"Ref": "ReadTokenSecret"}),
            (
                {"PublicReads": "false", "ReadTokenSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t"},
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:t",
            ),
            ({"PublicReads": "true", "ReadTokenSecretArn": ""}, None),
        ]
        policies = json.dumps((r.get("Properties") or {}).get("Policies") or [])
        for params, expected in cases:
            try:
                got = cfn_eval(template, variables["ARTFLOW_READ_TOKEN_ARN"], params)
            except (KeyError, NotEvaluable) as e:
                problems.append(f"{rid}: cannot evaluate ARTFLOW_READ_TOKEN_ARN: {e}")
                break
            if got != expected:
                where = ", ".join(f"{k}={v!r}" for k, v in params.items())
                problems.append(f"{rid}: ARTFLOW_READ_TOKEN_ARN is {got!r} with {where}, not {expected!r}")
        if "ReadTokenSecret" not in policies:
            problems.append(f"{rid}: its policies do not let it read the read token's secret")
        if (resources.get("ReadTokenSecret") or {}).get("Type") != "AWS::SecretsManager::Secret":
            problems.append("ReadTokenSecret: the stack does not generate a read token")
    return problems


def alarm_problems(template: dict) -> list[str]:
    """Every function has an alarm on its Errors metric (the transformed template)."""
    resources = template.get("Resources") or {}
    watched = set()
    for res in resources.values():
        if res.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = res.get("Properties") or {}
        if props.get("Namespace") == "AWS/Lambda" and props.get("MetricName") == "Errors":
            for d in props.get("Dimensions") or []:
                if d.get("Name") == "FunctionName" and isinstance(d.get("Value"), dict):
                    watched.add(d["Value"].get("Ref"))
    return [
        f"{rid}: no alarm on its Errors metric"
        for rid, res in resources.items()
        if res.get("Type") == "AWS::Lambda::Function" and rid not in watched
    ]


def overrides(section: dict) -> dict[str, str]:
    """`parameter_overrides` of a samconfig section as a dict (a string of K=V words, or a list)."""
    value = (section or {}).get("parameter_overrides")
    if value is None:
        return {}
    words = value if isinstance(value, list) else re.findall(r'(?:[^\s"]|"[^"]*")+', value)
    pairs = (w.split("=", 1) for w in words if "=" in w)
    return {k: v.strip('"') for k, v in pairs}


def samconfig_problems(path: Path, template: dict) -> list[str]:
    """`sam build` compiles for the Architecture of the build section (or global, or the
    template's Default); `sam deploy` declares the one of the deploy section. They must agree, or
    the functions are deployed with binaries of the other architecture and never start."""
    if not path.is_file():
        return [f"{path}: no such file"]
    try:
        config = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        return [f"{path}: not TOML: {e}"]
    default = str(template["Parameters"]["Architecture"].get("Default"))
    problems = []
    for env, sections in config.items():
        if not isinstance(sections, dict):
            continue
        common = overrides((sections.get("global") or {}).get("parameters"))
        build = overrides((sections.get("build") or {}).get("parameters"))
        deploy = overrides((sections.get("deploy") or {}).get("parameters"))
        built = build.get("Architecture", common.get("Architecture", default))
        deployed = deploy.get("Architecture", common.get("Architecture", default))
        if built != deployed:
            problems.append(
                f"{path}: [{env}] builds Architecture={built} but deploys Architecture={deployed}; "
                f"set the same value in [{env}.build.parameters] and [{env}.deploy.parameters] "
                f"parameter_overrides"
            )
    return problems


def artflow_checks(template: dict) -> list[str]:
    """What artflow needs beyond a valid template: every SQS event source reports batch item
    failures (without it the processor's per-message failures would be ignored and the failed
    events deleted), the queue's visibility timeout is at least six times the consumer's
    timeout plus its batching window for every parameter value allowed, and every function has
    an Errors alarm."""
    problems = alarm_problems(template)
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
        window_expr = props.get("MaximumBatchingWindowInSeconds", 0)
        params = sorted(refs_in(timeout_expr) | refs_in(visibility_expr) | refs_in(window_expr))
        try:
            combos = [{}]
            for name in params:
                combos = [dict(c, **{name: v}) for c in combos for v in parameter_choices(template, name)]
            for bindings in combos:
                timeout = evaluate(template, timeout_expr, bindings)
                visibility = evaluate(template, visibility_expr, bindings)
                window = evaluate(template, window_expr, bindings)
                if visibility < 6 * timeout + window:
                    where = ", ".join(f"{k}={v}" for k, v in bindings.items()) or "as written"
                    problems.append(
                        f"{queue_id}: VisibilityTimeout {visibility} s is less than six times "
                        f"{fn_id}'s Timeout {timeout} s plus the batching window {window} s ({where})"
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
    parser.add_argument(
        "--samconfig",
        default=str(HERE / "samconfig.toml"),
        help="the sam CLI configuration to check (default: samconfig.toml beside this script)",
    )
    args = parser.parse_args()
    regions = args.regions or ["us-east-1", "eu-west-1"]

    path = Path(args.template)
    original = load_template(path)
    written = copy.deepcopy(original)
    transformed = translate(path, original, regions[0])
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

    own = (
        artflow_checks(transformed)
        + read_token_problems(written)
        + lookback_rule_problems(written)
        + samconfig_problems(Path(args.samconfig), written)
    )
    for problem in own:
        print(f"{path}: {problem}", file=sys.stderr)
    if own:
        fail(1, f"{path}: {len(own)} artflow requirement(s) not met")

    resources = transformed.get("Resources", {})
    print(
        f"{path}: valid (SAM transform, then cfn-lint for {', '.join(regions)}: "
        f"{len(resources)} CloudFormation resources)"
    )


if __name__ == "__main__":
    main()
