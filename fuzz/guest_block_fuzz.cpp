// libFuzzer target: everything the guest tool parses from the network or a config drive
// (guest/): the service URL, a reply head, an octet-stream block made of those headers and the
// rest of the input as its body, and a seed file. Each parsed block is also run through
// verification against a fixed key, which must refuse it (the fuzzer cannot forge Ed25519).
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/signing_key.h"
#include "guest/http_get.h"
#include "guest/received_block.h"

namespace {

const seedwell::Ed25519PublicKey& TrustedKey() {
  static const seedwell::Ed25519PublicKey key = [] {
    std::array<std::uint8_t, seedwell::kEd25519SeedBytes> seed{};
    seed.fill(7);
    return seedwell::SigningKey::FromSeed(seed).public_key();
  }();
  return key;
}

void MustNotVerify(const seedwell::ReceivedBlock& block) {
  const std::vector<seedwell::Ed25519PublicKey> keys = {TrustedKey()};
  if (seedwell::VerifyReceivedBlock(block, block.instance_id, std::nullopt, keys)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)seedwell::ParseHttpUrl(input);

  // A reply: head up to the first blank line, body after it.
  const auto blank = input.find("\r\n\r\n");
  seedwell::HttpReply reply;
  if (seedwell::ParseReplyHead(input.substr(0, blank), reply)) {
    const std::string_view body =
        blank == std::string_view::npos ? std::string_view() : input.substr(blank + 4);
    reply.body = seedwell::SecretBuffer(body.size());
    if (!body.empty()) std::memcpy(reply.body.data(), body.data(), body.size());
    auto block = seedwell::BlockFromOctetReply(std::move(reply));
    if (block) MustNotVerify(*block);
  }

  auto seed = seedwell::BlockFromSeedFile(input);
  if (seed) MustNotVerify(*seed);
  return 0;
}
