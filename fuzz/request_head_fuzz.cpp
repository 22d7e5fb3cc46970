// libFuzzer target: the hardened HTTP server's request-head parser (api/http/request_head.h), which
// sees every byte a guest or an operator sends before cpp-httplib does. Properties, beyond not
// crashing: a complete head never claims more bytes than it was given, and a head that parsed once
// parses again from its own sanitised form, to the same method, target and Content-Length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const seedwell::HeadLimits limits;
  auto parsed = seedwell::ParseRequestHead(input, limits);
  if (!parsed || !parsed->has_value()) return 0;
  const seedwell::RequestHead& head = **parsed;
  if (head.head_bytes > size) std::abort();
  const std::string again_text = head.Sanitised();
  auto again = seedwell::ParseRequestHead(again_text, limits);
  if (!again || !again->has_value()) std::abort();
  if ((*again)->method != head.method || (*again)->target != head.target ||
      (*again)->content_length != head.content_length) {
    std::abort();
  }
  return 0;
}
