#!/usr/bin/python3
"""Reads a config-drive tree with cloud-init's own ConfigDrive reader and prints what it found.

Usage: read_config_drive.py DIR
Prints one JSON object: instance_id (from meta_data.json's uuid), seed_bytes (the decoded
random_seed length), seed_b64, userdata (text or null), ec2_instance_id. Exits non-zero if
cloud-init rejects the tree. Must run under Debian's /usr/bin/python3 (package cloud-init).
"""
import base64
import json
import sys

from cloudinit.sources import DataSourceConfigDrive


def main():
    found = DataSourceConfigDrive.read_config_drive(sys.argv[1])
    meta = found["metadata"]
    seed = meta.get("random_seed", b"")
    userdata = found.get("userdata")
    if isinstance(userdata, bytes):
        userdata = userdata.decode()
    print(json.dumps({
        "instance_id": meta.get("instance-id", meta.get("uuid")),
        "seed_bytes": len(seed),
        "seed_b64": base64.b64encode(seed).decode(),
        "userdata": userdata,
        "ec2_instance_id": found.get("ec2-metadata", {}).get("instance-id"),
    }))


if __name__ == "__main__":
    main()
