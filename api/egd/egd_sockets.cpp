#include "api/egd/egd_sockets.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace seedwell {

EgdSockets::EgdSockets(EgdServer& server, Registry& registry, std::string dir, unsigned mode)
    : server_(server), registry_(registry), dir_(std::move(dir)), mode_(mode) {}

std::string EgdSockets::PathOf(const std::string& id) const {
  if (!dir_.empty() && dir_.back() == '/') return dir_ + id + ".sock";
  return dir_ + "/" + id + ".sock";
}

std::optional<std::string> EgdSockets::PathFor(const Instance& instance) const {
  if (instance.state != InstanceState::kActive) return std::nullopt;
  return PathOf(instance.id);
}

Result<void> EgdSockets::Prepare() {
  if (mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
    return Fail(ErrorCode::kUnavailable,
                "--egd-socket-dir " + dir_ + ": " + std::strerror(errno));  // NOLINT
  }
  Reconcile();
  return {};
}

Result<void> EgdSockets::Open(const Instance& instance) {
  if (instance.state != InstanceState::kActive) return {};
  auto opened = server_.ListenUnix(instance.id, PathOf(instance.id), mode_);
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

void AddEgdSocketField(const EgdSockets* sockets, const Instance& instance, nlohmann::json& out) {
  const auto path = sockets != nullptr ? sockets->PathFor(instance) : std::nullopt;
  out["egd_socket"] = path ? nlohmann::json(*path) : nlohmann::json(nullptr);
}

}  // namespace seedwell
