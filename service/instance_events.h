// InstanceEvent: what a write did to an instance, published by the Registry to the parts that
// keep state per instance (the EGD sockets today; another replica's changes arrive the same way).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "service/instance.h"

namespace seedwell {

// InstanceChange is the kind of write.
enum class InstanceChange {
  kCreated,       // a new instance (admin create or vendordata)
  kUpdated,       // fields changed (PATCH)
  kTokenRotated,  // a new token; the old one no longer works
  kRevoked,       // now revoked
  kDeleted,       // gone (purged)
};

// InstanceEvent is one change to the instance |id|. |instance| is the instance after the change,
// absent for kDeleted and for changes learnt without the record (another replica's notice).
struct InstanceEvent {
  InstanceChange change;
  std::string id;
  std::optional<Instance> instance;
};

// InstanceListener receives events on the thread that made the write, after it is stored. It must
// not block and must not write through the Registry that called it.
using InstanceListener = std::function<void(const InstanceEvent&)>;

}  // namespace seedwell
