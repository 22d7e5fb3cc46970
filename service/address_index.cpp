#include "service/address_index.h"

#include <utility>

namespace seedwell {

AddressIndex::AddressIndex(Registry& registry, std::function<std::int64_t()> now_ms,
                           std::int64_t ttl_ms)
    : registry_(registry), now_ms_(std::move(now_ms)), ttl_ms_(ttl_ms) {}

Result<std::shared_ptr<const AddressIndex::Snapshot>> AddressIndex::Build() {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->generation =
      registry_.Generation();  // read first: a write during the build re-triggers
  snapshot->built_at_ms = now_ms_();
  ListQuery query;
  query.state = InstanceState::kActive;
  query.limit = kMaxListLimit;
  do {
    auto page = registry_.List(query);
    if (!page) return Fail(ErrorCode::kUnavailable, "instance registry: " + page.error().message);
    for (auto& instance : page->instances) {
      if (instance.allowed_cidrs.empty()) continue;
      auto shared = std::make_shared<const Instance>(std::move(instance));
      for (const auto& text : shared->allowed_cidrs) {
        if (auto cidr = ParseCidr(text)) snapshot->entries.push_back({*cidr, shared});
      }
    }
    query.cursor = page->next_cursor;
  } while (!query.cursor.empty());
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

Result<std::shared_ptr<const AddressIndex::Snapshot>> AddressIndex::Current(bool memory_only) {
  std::lock_guard lock(mu_);
  const bool stale = snapshot_ == nullptr || snapshot_->generation != registry_.Generation() ||
                     now_ms_() - snapshot_->built_at_ms >= ttl_ms_;
  if (stale && memory_only) return std::shared_ptr<const Snapshot>();
  if (stale) {
    auto built = Build();
    if (!built) return built;
    snapshot_ = std::move(*built);
  }
  return snapshot_;
}

Result<SharedInstance> AddressIndex::Find(std::string_view ip) {
  auto address = ParseIpAddress(ip);
  if (!address) return Fail(ErrorCode::kInvalidArgument, "not an IP address");
  auto snapshot = Current();
  SEEDWELL_RETURN_IF_ERROR(snapshot);
  return Search(**snapshot, *address);
}

std::optional<Result<SharedInstance>> AddressIndex::TryFind(std::string_view ip) {
  auto address = ParseIpAddress(ip);
  if (!address)
    return Result<SharedInstance>(Fail(ErrorCode::kInvalidArgument, "not an IP address"));
  auto snapshot = Current(/*memory_only=*/true);
  if (!snapshot || *snapshot == nullptr) return std::nullopt;
  return Search(**snapshot, *address);
}

Result<SharedInstance> AddressIndex::Search(const Snapshot& snapshot, const IpAddress& address) {
  const Entry* best = nullptr;
  bool ambiguous = false;
  for (const Entry& entry : snapshot.entries) {
    if (!CidrContains(entry.cidr, address)) continue;
    if (best == nullptr || entry.cidr.prefix_length > best->cidr.prefix_length) {
      best = &entry;
      ambiguous = false;
    } else if (entry.cidr.prefix_length == best->cidr.prefix_length &&
               entry.instance->id != best->instance->id) {
      ambiguous = true;
    }
  }
  if (best == nullptr) return Fail(ErrorCode::kNotFound, "no instance is registered for address");
  if (ambiguous) {
    return Fail(ErrorCode::kFailedPrecondition, "address matches several instances equally");
  }
  return best->instance;
}

}  // namespace seedwell
