#!/usr/bin/env bash
# Statistical smoke test: 2.5 MB (1000 FIPS 140-2 blocks of 20,000 bits) of `seedwell random` through
# rngtest (rng-tools5).
#
# Pass criterion: at most 6 failed blocks. A good generator fails about 0.1% of blocks (p ~= 0.00097,
# measured 97 in 100,000), so the failures in 1000 blocks are ~Poisson(0.97): P(X >= 7) ~= 7e-5, a
# false alarm about once in 14,000 runs. The negative controls (zeros, a counter, a repeated block)
# show the same criterion does catch bad output: each fails nearly every block.
source "$(dirname "$0")/lib.sh"

blocks_failed() {  # reads rngtest's summary from stdin; prints the number of failed blocks
  grep -o 'FIPS 140-2 failures: [0-9]*' | awk '{print $4}'
}

# rngtest exits 1 on any single failed block, so judge by the counts, not the exit code.
"$SW_BIN" random --bytes 2500032 --allow-kernel-only | rngtest -c 1000 2>"$SW_TMP/rngtest.txt" >/dev/null || true
failed=$(blocks_failed <"$SW_TMP/rngtest.txt")
successes=$(grep -o 'FIPS 140-2 successes: [0-9]*' "$SW_TMP/rngtest.txt" | awk '{print $4}')
echo "seedwell random: $successes blocks passed, $failed failed (limit 6)"
check "rngtest read all 1000 blocks" test "$((successes + failed))" = 1000
check "at most 6 failed blocks" test "$failed" -le 6

# Negative controls: the same criterion must reject bad generators.
head -c 2500032 /dev/zero | rngtest -c 1000 2>"$SW_TMP/zeros.txt" >/dev/null || true
check "zeros are rejected" test "$(blocks_failed <"$SW_TMP/zeros.txt")" -gt 6
/usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes(i & 0xff for i in range(2500032)))' |
  rngtest -c 1000 2>"$SW_TMP/counter.txt" >/dev/null || true
check "a counter is rejected" test "$(blocks_failed <"$SW_TMP/counter.txt")" -gt 6
# A stuck generator repeating one 64-byte ChaCha20 block. (A repeated 2500-byte block would pass:
# the FIPS tests look inside each 20,000-bit block, not across blocks.)
head -c 64 /dev/urandom >"$SW_TMP/block"
/usr/bin/python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(b * 39063)' "$SW_TMP/block" |
  rngtest -c 1000 2>"$SW_TMP/repeat.txt" >/dev/null || true
check "a repeated block is rejected" test "$(blocks_failed <"$SW_TMP/repeat.txt")" -gt 6

sw_finish
