// EGD protocol: a pure, allocation-free parser and encoder of the Entropy Gathering Daemon wire
// format spoken by QEMU's rng-egd backend, ekeyd and egd.pl.
//
// The client speaks first, one command byte followed by its arguments (integers big-endian):
//
//   0x00                          -> u32 entropy available, in bits
//   0x01 u8 n                     -> u8 count, then count bytes (non-blocking read)
//   0x02 u8 n                     -> exactly n bytes (blocking read)
//   0x03 u16 bits, u8 len, len B  -> nothing (write entropy)
//   0x04                          -> u8 len, then the server's pid as decimal text
//
// Requests may arrive split at any byte or many in one read; EgdParser keeps the state between
// calls. Any other command byte is a protocol error after which the stream cannot be
// resynchronised, so the server closes the connection. The parser never allocates and never reads
// past its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/egd_wire.h"

namespace seedwell {

// EgdCommandName returns a short stable name ("entropy_available", "read_nonblocking", ...).
std::string_view EgdCommandName(EgdCommand command);

// EgdRequest is one complete request. |count| is the bytes asked for by 0x01/0x02, or the length
// of the data of 0x03 (whose bytes are skipped, never stored); |bits| is 0x03's entropy claim.
struct EgdRequest {
  EgdCommand command = EgdCommand::kEntropyAvailable;
  std::uint8_t count = 0;
  std::uint16_t bits = 0;
};

// EgdParser turns a byte stream into requests, incrementally.
class EgdParser {
 public:
  // Status is the outcome of Next.
  enum class Status {
    kNeedMore,        // |in| is used up inside (or before) a request
    kRequest,         // |*out| holds a complete request
    kUnknownCommand,  // a command byte outside 0x00-0x04 (the parser stays in this state)
  };

  // Next consumes bytes from the front of |in| (advancing it) until one request is complete, the
  // input runs out, or an unknown command byte is met (left unconsumed at the front of |in|).
  Status Next(std::span<const std::uint8_t>& in, EgdRequest* out);

  // InsideRequest reports whether part of a request has been consumed but not completed.
  bool InsideRequest() const { return state_ != State::kCommand && state_ != State::kBroken; }

 private:
  enum class State { kCommand, kCount, kBitsHigh, kBitsLow, kDataLength, kData, kBroken };
  State state_ = State::kCommand;
  EgdRequest pending_;
  std::uint8_t data_left_ = 0;
};

// kEgdPidReplyMax is the longest reply EncodePidReply writes (length byte and 10 digits).
inline constexpr std::size_t kEgdPidReplyMax = 11;

// EncodeEntropyAvailable writes the 4-byte big-endian reply to 0x00 into |out|.
void EncodeEntropyAvailable(std::uint32_t bits, std::span<std::uint8_t, 4> out);

// EncodePidReply writes the reply to 0x04 (length byte, then |pid| in decimal) into |out| and
// returns its length.
std::size_t EncodePidReply(std::uint32_t pid, std::span<std::uint8_t, kEgdPidReplyMax> out);

// EncodeReadBlocking writes a 0x02 request for |n| bytes into |out| (the client side).
void EncodeReadBlocking(std::uint8_t n, std::span<std::uint8_t, 2> out);

}  // namespace seedwell
