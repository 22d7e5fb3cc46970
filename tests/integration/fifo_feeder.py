#!/usr/bin/env python3
"""Feeds a FIFO that `seedwell serve --hwrng-path FIFO` reads, to simulate a hardware RNG that
works, glitches or gets stuck (docs/security.md, "Simulating a source failure").

usage: fifo_feeder.py FIFO MODE_FILE [MAX_SECONDS]

The mode is the first word of MODE_FILE, re-read every few milliseconds:
  good    bytes from os.urandom
  glitch  random bytes, each 128-byte chunk starting with a run of 20 equal bytes: at the hwrng
          source's H = 2 bits/byte this trips the intermittent RCT cutoff (16) but not the
          permanent one (31), so the source is quarantined and retried
  stuck   every byte 0x00: past the permanent cutoff, so the source is disabled until reset
  silent  writes nothing (the source's reads time out)

The FIFO is opened read-write, so that it always has a writer (a reader never sees end of file)
and so that stale bytes of the previous mode can be drained when the mode changes. At most about
256 bytes are kept buffered (FIONREAD), so a new mode shows within one read of seedwell. The
feeder exits by itself after MAX_SECONDS (default 300); tests stop it by its PID before that.
"""
import fcntl
import os
import struct
import sys
import termios
import time

CHUNK = 128
LOW_WATER = 256
GLITCH_RUN = 20


def buffered(fd):
    raw = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", raw)[0]


def drain(fd):
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except BlockingIOError:
            return


def chunk(mode):
    if mode == "good":
        return os.urandom(CHUNK)
    if mode == "glitch":
        run = bytes([0xA5]) * GLITCH_RUN
        rest = bytearray(os.urandom(CHUNK - GLITCH_RUN))
        if rest[0] == 0xA5:
            rest[0] = 0x5A  # keep the run exactly GLITCH_RUN long
        return run + bytes(rest)
    if mode == "stuck":
        return bytes(CHUNK)
    return b""


def read_mode(path, previous):
    try:
        with open(path, encoding="ascii") as f:
            words = f.read().split()
        return words[0] if words else previous
    except OSError:
        return previous


def main():
    fifo, mode_file = sys.argv[1], sys.argv[2]
    max_seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    deadline = time.monotonic() + max_seconds
    mode = read_mode(mode_file, "good")
    while time.monotonic() < deadline:
        new_mode = read_mode(mode_file, mode)
        if new_mode != mode:
            drain(fd)  # bytes of the old mode must not reach seedwell any more
            mode = new_mode
        data = chunk(mode)
        if data and buffered(fd) < LOW_WATER:
            try:
                os.write(fd, data)
            except BlockingIOError:
                pass
        time.sleep(0.005)
    os.close(fd)


if __name__ == "__main__":
    main()
