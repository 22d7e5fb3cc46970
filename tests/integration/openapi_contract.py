#!/usr/bin/python3
"""Checks recorded responses of a running seedwell against openapi.yaml.

Usage: openapi_contract.py OPENAPI.yaml RECORDS.jsonl
Each record is {"method", "path" (the template as in openapi.yaml), "status", "body"}; the body
(JSON, or null for empty) must validate against the schema the spec gives for that status, and
the status itself must be documented. Prints one line per failure and a summary; exit 1 on failure.
"""
import json
import sys

import jsonschema
import yaml


def main() -> int:
    spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    validator_cls = jsonschema.Draft202012Validator
    resolver = jsonschema.RefResolver(base_uri="", referrer=spec)
    failures, checked = 0, 0
    for line in open(sys.argv[2], encoding="utf-8"):
        rec = json.loads(line)
        where = f'{rec["method"].upper()} {rec["path"]} -> {rec["status"]}'
        op = spec["paths"].get(rec["path"], {}).get(rec["method"].lower())
        if op is None:
            print(f"FAIL {where}: route not in openapi.yaml")
            failures += 1
            continue
        response = op["responses"].get(str(rec["status"]))
        if response is None:
            print(f"FAIL {where}: status not documented")
            failures += 1
            continue
        if "$ref" in response:
            response = resolver.resolve(response["$ref"])[1]
        content = response.get("content")
        checked += 1
        if content is None:
            if rec["body"] not in (None, ""):
                print(f"FAIL {where}: documented without a body, got one")
                failures += 1
            continue
        media = content.get("application/json")
        if media is None:
            continue  # text/plain bodies are checked by the shell test itself
        try:
            validator_cls(media["schema"], resolver=resolver).validate(rec["body"])
        except jsonschema.ValidationError as err:
            print(f"FAIL {where}: {err.message} at {list(err.absolute_path)}")
            failures += 1
    print(f"openapi contract: {checked} responses checked, {failures} failed")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
