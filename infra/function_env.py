"""Print the environment template.yaml gives each function, resolved for a test stack.

The runtime-emulator tests start each built function with exactly the variables the
deployed one gets: this translates the template with the real SAM transform (as
infra/sam_translate.py does), takes every AWS::Lambda::Function's Environment.Variables and
resolves the intrinsics in them: parameters by their defaults (or --param NAME=VALUE),
AWS::StackName / AccountId / Region pseudo parameters, and the physical ids of the stack's
own resources (--ref LogicalId=value, e.g. the moto table name or queue URL). A reference
this cannot resolve is an error naming it, so a template change cannot go untested.

Usage: python infra/function_env.py template.yaml [--ref StateTable=t] [--ref RefreshQueue=url]
       [--ref SyncQueue=url] [--param P=V]
       [--stack-name S] [--account A] [--region R]
Prints {"<Function logical id>": {"VAR": "value", ...}, ...} as JSON.
"""

import argparse
import json
import os
import re
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

sys.path.insert(0, os.path.dirname(__file__))
from sam_translate import OfflinePolicyLoader  # noqa: E402


class Unresolved(Exception):
    pass


def resolve(value, names):
    if isinstance(value, (str, int, float, bool)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            if arg not in names:
                raise Unresolved(f"Ref {arg}")
            return names[arg]
        if fn == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            def sub(m):
                key = m.group(1)
                if key in local:
                    return resolve(local[key], names)
                if key not in names:
                    raise Unresolved(f"${{{key}}}")
                return names[key]
            return re.sub(r"\$\{([^}!]+)\}", sub, text)
        if fn == "Fn::GetAtt":
            key = ".".join(arg) if isinstance(arg, list) else arg
            if key not in names:
                raise Unresolved(f"GetAtt {key}")
            return names[key]
        if fn == "Fn::Join":
            sep, items = arg
            return sep.join(resolve(i, names) for i in items)
    raise Unresolved(json.dumps(value))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("template")
    parser.add_argument("--ref", action="append", default=[])
    parser.add_argument("--param", action="append", default=[])
    parser.add_argument("--stack-name", default="autoexpose-test")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", args.region)
    with open(args.template, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://placeholder-bucket/code.zip"
    template.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    output = transform(template, {}, OfflinePolicyLoader())

    names = {"AWS::StackName": args.stack_name, "AWS::AccountId": args.account,
             "AWS::Region": args.region, "AWS::Partition": "aws"}
    for name, spec in output.get("Parameters", {}).items():
        if "Default" in spec:
            default = spec["Default"]
            names[name] = ",".join(default) if isinstance(default, list) else str(default)
    for pair in args.param + args.ref:
        key, _, value = pair.partition("=")
        names[key] = value

    envs = {}
    for logical_id, resource in output["Resources"].items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        try:
            envs[logical_id] = {k: resolve(v, names) for k, v in variables.items()}
        except Unresolved as err:
            print(f"function_env: {logical_id}: cannot resolve {err}; pass it with --ref or --param",
                  file=sys.stderr)
            return 1
    json.dump(envs, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
