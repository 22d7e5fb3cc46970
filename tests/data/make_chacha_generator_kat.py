#!/usr/bin/python3
"""Derives the ChachaGenerator known answer independently of seedwell's C++ code.

It follows the construction documented in crypto/chacha_generator.h, using Python's
`cryptography` package (OpenSSL's ChaCha20) and hashlib's BLAKE2b, and writes
chacha_generator_kat.txt. Run: /usr/bin/python3 tests/data/make_chacha_generator_kat.py
"""
import hashlib
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

MIX_LABEL = b"seedwell chacha-generator mix v1"


def ks(key, n):
    """KS(k, n): ChaCha20 keystream, nonce = 12 zero bytes, initial counter 0."""
    nonce16 = struct.pack("<I", 0) + bytes(12)
    enc = Cipher(algorithms.ChaCha20(key, nonce16), mode=None).encryptor()
    return enc.update(bytes(n))


key0 = bytes(range(32))                        # K0[i] = i
seed = bytes((0x80 + i) & 0xFF for i in range(64))  # S[i] = 0x80 + i

# Mix(S): K = BLAKE2b-256(key = K, message = label || S); buffer emptied.
key = hashlib.blake2b(MIX_LABEL + seed, key=key0, digest_size=32).digest()
# Generate(40): buffered path. Refill: B = KS(K, 1024); K = B[0:32]; output from B[32:].
buf = ks(key, 1024)
key = buf[:32]
out1 = buf[32:72]
# Generate(600): direct path. T = KS(K, 64); K = T[0:32]; out = KS(T[32:64], 600).
t = ks(key, 64)
key = t[:32]
out2 = ks(t[32:64], 600)
# Generate(40): buffered again, continuing in the same B.
out3 = buf[72:112]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chacha_generator_kat.txt")
with open(path, "w") as f:
    f.write("# ChachaGenerator known answer; made by make_chacha_generator_kat.py (see there).\n")
    f.write("# KEY0 then Mix(SEED), then Generate(40), Generate(600), Generate(40).\n")
    f.write("KEY0: %s\n" % key0.hex())
    f.write("SEED: %s\n" % seed.hex())
    f.write("OUT1: %s\n" % out1.hex())
    f.write("OUT2_SHA256: %s\n" % hashlib.sha256(out2).hexdigest())
    f.write("OUT3: %s\n" % out3.hex())
print(open(path).read())
