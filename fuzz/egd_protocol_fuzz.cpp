// libFuzzer target: the EGD request parser (api/egd/egd_protocol.h) on untrusted bytes from QEMU or
// any TCP peer. Property, beyond not crashing: the requests found do not depend on how the stream
// was split into reads (whole at once vs. one byte at a time), and an unknown command byte is
// reported at the same offset.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "api/egd/egd_protocol.h"

namespace {

struct Outcome {
  std::vector<seedwell::EgdRequest> requests;
  std::size_t unknown_at = SIZE_MAX;  // offset of an unknown command byte, if any
};

Outcome Parse(std::span<const std::uint8_t> input, std::size_t chunk) {
  Outcome outcome;
  seedwell::EgdParser parser;
  std::size_t offset = 0;
  while (offset < input.size()) {
    const std::size_t n = std::min(chunk, input.size() - offset);
    std::span<const std::uint8_t> piece = input.subspan(offset, n);
    for (;;) {
      seedwell::EgdRequest request;
      const std::size_t before = piece.size();
      const auto status = parser.Next(piece, &request);
      offset += before - piece.size();
      if (status == seedwell::EgdParser::Status::kRequest) {
        outcome.requests.push_back(request);
      } else if (status == seedwell::EgdParser::Status::kUnknownCommand) {
        outcome.unknown_at = offset;
        return outcome;
      } else {
        break;
      }
    }
  }
  return outcome;
}

bool Same(const seedwell::EgdRequest& a, const seedwell::EgdRequest& b) {
  return a.command == b.command && a.count == b.count && a.bits == b.bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  const Outcome whole = Parse(input, size == 0 ? 1 : size);
  const Outcome bytewise = Parse(input, 1);
  if (whole.unknown_at != bytewise.unknown_at ||
      whole.requests.size() != bytewise.requests.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < whole.requests.size(); ++i) {
    if (!Same(whole.requests[i], bytewise.requests[i])) std::abort();
  }
  return 0;
}
