#include "cli/replica_identity.h"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace seedwell {

Result<void> CheckReplicaId(std::string_view id) {
  if (id.empty() || id.size() > kMaxReplicaIdBytes) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "--replica-id must be 1 to " + std::to_string(kMaxReplicaIdBytes) + " characters long");
  }
  const bool printable =
      std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < '\x7f'; });
  if (!printable) {
    return Fail(ErrorCode::kInvalidArgument,
                "--replica-id must be printable ASCII without spaces (a pod or host name)");
  }
  return {};
}

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name.data());
  std::replace_if(
      host.begin(), host.end(), [](char c) { return c <= ' ' || c >= '\x7f'; }, '_');
  return host;
}

std::string DefaultReplicaId() {
  std::array<unsigned char, 3> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 7> hex{};
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  std::string host = HostName();
  host.resize(std::min(host.size(), kMaxReplicaIdBytes - 7));
  return host + "-" + hex.data();
}

}  // namespace seedwell
