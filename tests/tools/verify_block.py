#!/usr/bin/python3
"""Independent verifier of seedwell blocks, written from docs/block-format.md alone (PyNaCl and
hashlib; it shares no code with the server).

  verify_block.py KEYS.json BLOCK.json [--instance ID] [--nonce HEX] [--open SECRET_B64]

KEYS.json is the GET /v1/keys document; BLOCK.json a GET /v1/entropy JSON response. Checks the
key id, the signature (direct or Merkle batch), and optionally the expected instance and nonce;
with --open it opens the sealed box with that X25519 secret key and prints the entropy length.
Exit 0 if valid, 1 otherwise (the reason on stderr).
"""
import argparse
import base64
import hashlib
import json
import struct
import sys

import nacl.exceptions
import nacl.public
import nacl.signing


def lp(b):
    return struct.pack(">I", len(b)) + b


def canonical(block):
    return (lp(b"seedwell-block-v1") + lp(block["instance_id"].encode()) +
            lp(bytes.fromhex(block["nonce"])) + struct.pack(">Q", block["issued_at_unix_ms"]) +
            lp(block["kid"].encode()) + bytes([1 if block["sealed"] else 0]) +
            lp(base64.b64decode(block["data"], validate=True)))


def leaf_hash(data):
    return hashlib.sha512(b"\x00" + data).digest()[:32]


def node_hash(left, right):
    return hashlib.sha512(b"\x01" + left + right).digest()[:32]


def root_from_path(leaf, index, count, path):
    if index >= count:
        raise ValueError("leaf_index out of range")
    fn, sn, r = index, count - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("path too long")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


def verify(keys, block):
    usable = {k["kid"]: k for k in keys["keys"] if k["state"] in ("active", "verify_only")}
    key = usable.get(block["kid"])
    if key is None:
        raise ValueError("unknown or retired key id " + block["kid"])
    public = base64.b64decode(key["public_key"], validate=True)
    kid = "sw1_" + hashlib.sha256(public).hexdigest()[:32]
    if kid != block["kid"]:
        raise ValueError("kid does not match the public key")
    verifier = nacl.signing.VerifyKey(public)
    message = canonical(block)
    if "signature" in block:
        verifier.verify(message, base64.b64decode(block["signature"], validate=True))
        return
    batch = block["batch"]
    path = [base64.b64decode(p, validate=True) for p in batch["path"]]
    root = root_from_path(leaf_hash(message), batch["leaf_index"], batch["leaf_count"], path)
    signed = lp(b"seedwell-batch-v1") + struct.pack(">I", batch["leaf_count"]) + root
    verifier.verify(signed, base64.b64decode(batch["root_signature"], validate=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("keys")
    ap.add_argument("block")
    ap.add_argument("--instance")
    ap.add_argument("--nonce")
    ap.add_argument("--open", dest="open_key")
    a = ap.parse_args()
    keys = json.load(open(a.keys))
    block = json.load(open(a.block))
    try:
        verify(keys, block)
        if a.instance is not None and block["instance_id"] != a.instance:
            raise ValueError("block is for another instance")
        if a.nonce is not None and block["nonce"] != a.nonce:
            raise ValueError("block is bound to another nonce")
        if a.open_key is not None:
            if not block["sealed"]:
                raise ValueError("block is not sealed")
            secret = nacl.public.PrivateKey(base64.b64decode(a.open_key, validate=True))
            plain = nacl.public.SealedBox(secret).decrypt(base64.b64decode(block["data"]))
            print(len(plain))
    except (ValueError, KeyError, nacl.exceptions.CryptoError) as e:
        print("invalid: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
