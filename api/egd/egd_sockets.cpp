#include "api/egd/egd_sockets.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "api/egd/egd_socket_path.h"

namespace seedwell {
namespace {

// OpenReason says why an event opened a socket (logged with it).
std::string OpenReason(InstanceChange change, bool node_agent) {
  switch (change) {
    case InstanceChange::kCreated:
      return "created";
    case InstanceChange::kTokenRotated:
      return "token rotated";
    default:
      return node_agent ? "updated: placed on this node" : "updated";
  }
}

// CloseReason says why |instance| (as now stored) has no socket on this node.
std::string CloseReason(const Instance& instance, InstanceChange change, const std::string& node) {
  if (instance.state != InstanceState::kActive) return "revoked";
  if (!node.empty() && instance.host != node) {
    return instance.host ? "moved to host " + *instance.host : "host cleared";
  }
  return change == InstanceChange::kDeleted ? "deleted" : "no socket wanted";
}

}  // namespace

EgdSockets::EgdSockets(EgdServer& server, Registry& registry, std::string dir, unsigned mode,
                       std::string node, std::chrono::milliseconds reconcile_period)
    : server_(server),
      registry_(registry),
      dir_(std::move(dir)),
      mode_(mode),
      node_(std::move(node)),
      reconcile_period_(reconcile_period) {}

EgdSockets::~EgdSockets() { Stop(); }

Result<void> EgdSockets::Prepare() {
  if (mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
    return Fail(ErrorCode::kUnavailable,
                "--egd-socket-dir " + dir_ + ": " + std::strerror(errno));  // NOLINT
  }
  if (subscription_ == 0) {
    subscription_ = registry_.Subscribe([this](const InstanceEvent& event) { OnEvent(event); });
  }
  {
    const std::lock_guard lock(apply_mutex_);
    ReconcileLocked("start");
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { Worker(); });
  return {};
}

void EgdSockets::Stop() {
  if (subscription_ != 0) {
    registry_.Unsubscribe(subscription_);
    subscription_ = 0;
  }
  {
    const std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void EgdSockets::OnEvent(const InstanceEvent& event) {
  if (event.change == InstanceChange::kDeleted ||
      (event.change == InstanceChange::kRevoked && !event.instance)) {
    const std::lock_guard lock(apply_mutex_);
    server_.CloseUnix(event.id, event.change == InstanceChange::kDeleted ? "deleted" : "revoked");
    return;
  }
  if (event.instance) {
    const std::lock_guard lock(apply_mutex_);
    Apply(*event.instance, event.change);
    return;
  }
  {
    const std::lock_guard lock(queue_mutex_);
    if (pending_.size() < kMaxPending || pending_.contains(event.id)) {
      pending_[event.id] = event.change;
    } else {
      resync_ = true;
    }
  }
  wake_.notify_one();
}

void EgdSockets::Apply(const Instance& instance, InstanceChange change) {
  const auto path = EgdSocketPath(dir_, node_, instance);
  if (!path) {
    server_.CloseUnix(instance.id, CloseReason(instance, change, node_));
    return;
  }
  // Failures are logged here; the next reconciliation retries.
  if (auto opened =
          server_.ListenUnix(instance.id, *path, mode_, OpenReason(change, !node_.empty()));
      !opened) {
    spdlog::warn("event=egd_socket_failed instance={} error=\"{}\"", instance.id,
                 opened.error().message);
  }
}

void EgdSockets::Resolve(const std::string& id, InstanceChange change) {
  const std::lock_guard lock(apply_mutex_);
  auto found = registry_.Get(id);
  if (found) return Apply(*found, change);
  if (found.error().code == ErrorCode::kNotFound) return server_.CloseUnix(id, "deleted");
  spdlog::warn(
      "event=egd_socket_lookup_failed instance={} error=\"{}\" note=\"retried by the next "
      "reconciliation\"",
      id, found.error().message);
}

void EgdSockets::Reconcile() {
  const std::lock_guard lock(apply_mutex_);
  ReconcileLocked("reconcile");
}

void EgdSockets::ReconcileLocked(std::string_view reason) {
  std::set<std::string> wanted;
  ListQuery query;
  query.state = InstanceState::kActive;
  if (!node_.empty()) query.host = node_;
  query.limit = kMaxListLimit;
  for (int page = 0; page < 100000; ++page) {
    auto listed = registry_.List(query);
    if (!listed) {
      spdlog::warn("event=egd_reconcile_failed error=\"{}\"", listed.error().message);
      return;  // keep what is open; try again next time
    }
    for (const auto& instance : listed->instances) {
      const auto path = EgdSocketPath(dir_, node_, instance);
      if (!path) continue;
      wanted.insert(instance.id);
      if (auto opened = server_.ListenUnix(instance.id, *path, mode_, reason); !opened) {
        spdlog::warn("event=egd_socket_failed instance={} error=\"{}\"", instance.id,
                     opened.error().message);
      }
    }
    if (listed->next_cursor.empty()) break;
    query.cursor = listed->next_cursor;
  }
  const std::string why = std::string(reason) + (node_.empty() ? ": instance not active"
                                                               : ": not an active instance here");
  for (const auto& id : server_.UnixInstances()) {
    if (!wanted.contains(id)) server_.CloseUnix(id, why);
  }
}

void EgdSockets::Worker() {
  auto next_reconcile = std::chrono::steady_clock::now() + reconcile_period_;
  std::unique_lock lock(queue_mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, next_reconcile,
                     [this] { return stopping_ || resync_ || !pending_.empty(); });
    if (stopping_) break;
    if (resync_ || std::chrono::steady_clock::now() >= next_reconcile) {
      resync_ = false;
      pending_.clear();  // the reconciliation reads every instance anyway
      lock.unlock();
      Reconcile();
      next_reconcile = std::chrono::steady_clock::now() + reconcile_period_;
      lock.lock();
      continue;
    }
    std::map<std::string, InstanceChange> batch;
    batch.swap(pending_);
    lock.unlock();
    for (const auto& [id, change] : batch) Resolve(id, change);
    lock.lock();
  }
}

}  // namespace seedwell
