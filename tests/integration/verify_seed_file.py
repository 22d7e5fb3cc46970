#!/usr/bin/python3
"""An independent verifier of seedwell/seed.json, written from docs/block-format.md alone.

Usage: verify_seed_file.py SEED_JSON PUBLIC_KEY_BASE64 INSTANCE_ID
Checks the kid against the public key, rebuilds the canonical block bytes and verifies the
Ed25519 signature with PyNaCl (Debian python3-nacl). Prints the seed size; exits 1 on any mismatch.
"""
import base64
import hashlib
import json
import struct
import sys

import nacl.exceptions
import nacl.signing


def lp(data):
    return struct.pack(">I", len(data)) + data


def main():
    doc = json.load(open(sys.argv[1], encoding="ascii"))
    public_key = base64.b64decode(sys.argv[2], validate=True)
    expected_kid = "sw1_" + hashlib.sha256(public_key).digest()[:16].hex()
    if doc["format"] != "seedwell-seed-v1" or doc["kid"] != expected_kid:
        sys.exit("wrong format or kid")
    if doc["instance_id"] != sys.argv[3] or doc["sealed"] is not False:
        sys.exit("wrong instance or sealed flag")
    data = base64.b64decode(doc["data"], validate=True)
    canonical = (lp(b"seedwell-block-v1") + lp(doc["instance_id"].encode()) +
                 lp(base64.b64decode(doc["nonce"], validate=True)) +
                 struct.pack(">Q", doc["issued_at_unix_ms"]) + lp(doc["kid"].encode()) +
                 b"\x00" + lp(data))
    try:
        nacl.signing.VerifyKey(public_key).verify(canonical,
                                                 base64.b64decode(doc["signature"], validate=True))
    except nacl.exceptions.BadSignatureError:
        sys.exit("bad signature")
    print(len(data))


if __name__ == "__main__":
    main()
