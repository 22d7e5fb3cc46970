#include "api/egd/egd_sockets.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "api/egd/egd_socket_path.h"

namespace seedwell {

EgdSockets::EgdSockets(EgdServer& server, Registry& registry, std::string dir, unsigned mode)
    : server_(server), registry_(registry), dir_(std::move(dir)), mode_(mode) {}

EgdSockets::~EgdSockets() {
  if (subscription_ != 0) registry_.Unsubscribe(subscription_);
}

Result<void> EgdSockets::Prepare() {
  if (mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
    return Fail(ErrorCode::kUnavailable,
                "--egd-socket-dir " + dir_ + ": " + std::strerror(errno));  // NOLINT
  }
  if (subscription_ == 0) {
    subscription_ = registry_.Subscribe([this](const InstanceEvent& event) { OnEvent(event); });
  }
  Reconcile();
  return {};
}

void EgdSockets::OnEvent(const InstanceEvent& event) {
  switch (event.change) {
    case InstanceChange::kCreated:
    case InstanceChange::kUpdated:
    case InstanceChange::kTokenRotated:
      if (event.instance) (void)Open(*event.instance);  // failures are logged; Reconcile retries
      return;
    case InstanceChange::kRevoked:
    case InstanceChange::kDeleted:
      Close(event.id);
      return;
  }
}

Result<void> EgdSockets::Open(const Instance& instance) {
  const auto path = EgdSocketPath(dir_, instance);
  if (!path) return {};
  auto opened = server_.ListenUnix(instance.id, *path, mode_);
  if (!opened)
    spdlog::warn("event=egd_socket_failed instance={} error=\"{}\"", instance.id,
                 opened.error().message);
  return opened;
}

void EgdSockets::Close(const std::string& instance_id) { server_.CloseUnix(instance_id); }

void EgdSockets::Reconcile() {
  std::set<std::string> active;
  ListQuery query;
  query.state = InstanceState::kActive;
  query.limit = kMaxListLimit;
  for (int page = 0; page < 100000; ++page) {
    auto listed = registry_.List(query);
    if (!listed) {
      spdlog::warn("event=egd_reconcile_failed error=\"{}\"", listed.error().message);
      return;  // keep what is open; try again next time
    }
    for (const auto& instance : listed->instances) {
      active.insert(instance.id);
      (void)Open(instance);
    }
    if (listed->next_cursor.empty()) break;
    query.cursor = listed->next_cursor;
  }
  for (const auto& id : server_.UnixInstances()) {
    if (!active.contains(id)) Close(id);
  }
}

}  // namespace seedwell
