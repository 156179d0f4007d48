"""Translate template.yaml with the real SAM transform, offline, for cfn-lint.

cfn-lint alone no longer runs the SAM transform, so it misses broken references and
circular dependencies inside AWS::Serverless::Function (see the README). This runs
aws-sam-translator locally and writes plain CloudFormation JSON.

Usage: python infra/sam_translate.py template.yaml out.json
"""

import json
import os
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class OfflinePolicyLoader(ManagedPolicyLoader):
    """Resolves no managed policy names (the template uses ARNs); never calls IAM."""

    def __init__(self):
        pass

    def load(self):
        return {}


def main(src, dst):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(src, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # The translator rejects local CodeUri paths; sam build replaces them the same way.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://placeholder-bucket/code.zip"
    globals_function = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in globals_function:
        globals_function["CodeUri"] = "s3://placeholder-bucket/code.zip"
    try:
        output = transform(template, {}, OfflinePolicyLoader())
    except InvalidDocumentException as err:
        for cause in err.causes:
            print(f"{src}: {cause.message}", file=sys.stderr)
        return 1
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(output, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
