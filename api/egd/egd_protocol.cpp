#include "api/egd/egd_protocol.h"

#include <algorithm>

namespace seedwell {

std::string_view EgdCommandName(EgdCommand command) {
  switch (command) {
    case EgdCommand::kEntropyAvailable:
      return "entropy_available";
    case EgdCommand::kReadNonBlocking:
      return "read_nonblocking";
    case EgdCommand::kReadBlocking:
      return "read_blocking";
    case EgdCommand::kWriteEntropy:
      return "write_entropy";
    case EgdCommand::kGetPid:
      return "get_pid";
  }
  return "unknown";
}

EgdParser::Status EgdParser::Next(std::span<const std::uint8_t>& in, EgdRequest* out) {
  while (!in.empty()) {
    const std::uint8_t byte = in.front();
    switch (state_) {
      case State::kBroken:
        return Status::kUnknownCommand;
      case State::kCommand:
        if (byte > static_cast<std::uint8_t>(EgdCommand::kGetPid)) {
          state_ = State::kBroken;
          return Status::kUnknownCommand;
        }
        pending_ = EgdRequest{static_cast<EgdCommand>(byte), 0, 0};
        in = in.subspan(1);
        switch (pending_.command) {
          case EgdCommand::kReadNonBlocking:
          case EgdCommand::kReadBlocking:
            state_ = State::kCount;
            break;
          case EgdCommand::kWriteEntropy:
            state_ = State::kBitsHigh;
            break;
          case EgdCommand::kEntropyAvailable:
          case EgdCommand::kGetPid:
            *out = pending_;
            return Status::kRequest;
        }
        break;
      case State::kCount:
        pending_.count = byte;
        in = in.subspan(1);
        state_ = State::kCommand;
        *out = pending_;
        return Status::kRequest;
      case State::kBitsHigh:
        pending_.bits = static_cast<std::uint16_t>(byte << 8);
        in = in.subspan(1);
        state_ = State::kBitsLow;
        break;
      case State::kBitsLow:
        pending_.bits = static_cast<std::uint16_t>(pending_.bits | byte);
        in = in.subspan(1);
        state_ = State::kDataLength;
        break;
      case State::kDataLength:
        pending_.count = byte;
        data_left_ = byte;
        in = in.subspan(1);
        state_ = State::kData;
        if (data_left_ == 0) {
          state_ = State::kCommand;
          *out = pending_;
          return Status::kRequest;
        }
        break;
      case State::kData: {
        const std::size_t take = std::min<std::size_t>(data_left_, in.size());
        in = in.subspan(take);
        data_left_ = static_cast<std::uint8_t>(data_left_ - take);
        if (data_left_ == 0) {
          state_ = State::kCommand;
          *out = pending_;
          return Status::kRequest;
        }
        break;
      }
    }
  }
  return state_ == State::kBroken ? Status::kUnknownCommand : Status::kNeedMore;
}

void EncodeEntropyAvailable(std::uint32_t bits, std::span<std::uint8_t, 4> out) {
  out[0] = static_cast<std::uint8_t>(bits >> 24);
  out[1] = static_cast<std::uint8_t>(bits >> 16);
  out[2] = static_cast<std::uint8_t>(bits >> 8);
  out[3] = static_cast<std::uint8_t>(bits);
}

std::size_t EncodePidReply(std::uint32_t pid, std::span<std::uint8_t, kEgdPidReplyMax> out) {
  std::uint8_t digits[10];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<std::uint8_t>('0' + pid % 10);
    pid /= 10;
  } while (pid != 0);
  out[0] = static_cast<std::uint8_t>(n);
  for (std::size_t i = 0; i < n; ++i) out[1 + i] = digits[n - 1 - i];
  return n + 1;
}

void EncodeReadBlocking(std::uint8_t n, std::span<std::uint8_t, 2> out) {
  out[0] = static_cast<std::uint8_t>(EgdCommand::kReadBlocking);
  out[1] = n;
}

}  // namespace seedwell
