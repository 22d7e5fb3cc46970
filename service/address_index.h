// AddressIndex: which active instance owns a source address, from the instances' allowed_cidrs.
// The guest listener and the EGD TCP listener identify callers by it.
//
// It is a snapshot of every active instance's networks, rebuilt from the Registry when the
// registry's generation has changed (a local write) or the snapshot is older than a TTL (writes by
// other replicas). When several instances' networks hold the address, the longest prefix wins; a
// tie between different instances is ambiguous and refused rather than guessed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "service/instance.h"
#include "service/registry.h"

namespace seedwell {

class AddressIndex {
 public:
  // AddressIndex reads from |registry| (which must outlive it); |now_ms| is wall time in ms.
  AddressIndex(Registry& registry, std::function<std::int64_t()> now_ms,
               std::int64_t ttl_ms = 5000);

  // Find returns the active instance whose allowed_cidrs hold |ip|: kInvalidArgument for an
  // unparsable address, kNotFound when none does, kFailedPrecondition when two instances hold it
  // with equally long prefixes, kUnavailable when the registry cannot be read.
  Result<SharedInstance> Find(std::string_view ip);
  // TryFind is Find from the current snapshot only: std::nullopt where the snapshot is missing or
  // stale and only the registry's store could answer. It never blocks on I/O.
  std::optional<Result<SharedInstance>> TryFind(std::string_view ip);

 private:
  struct Entry {
    Cidr cidr;
    SharedInstance instance;
  };
  struct Snapshot {
    std::vector<Entry> entries;
    std::uint64_t generation = 0;
    std::int64_t built_at_ms = 0;
  };
  // Current returns the snapshot, rebuilt from the store if stale; with |memory_only| a stale
  // snapshot gives nullptr instead.
  Result<std::shared_ptr<const Snapshot>> Current(bool memory_only = false);
  static Result<SharedInstance> Search(const Snapshot& snapshot, const IpAddress& address);
  Result<std::shared_ptr<const Snapshot>> Build();

  Registry& registry_;
  std::function<std::int64_t()> now_ms_;
  const std::int64_t ttl_ms_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace seedwell
