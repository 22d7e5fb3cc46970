#include "service/store/postgres_change_feed.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "service/store/postgres_connection.h"
#include "service/store/postgres_key_ring.h"

namespace seedwell {
namespace {

std::optional<InstanceChange> ChangeNamed(std::string_view name) {
  if (name == "created") return InstanceChange::kCreated;
  if (name == "updated") return InstanceChange::kUpdated;
  if (name == "token") return InstanceChange::kTokenRotated;
  if (name == "revoked") return InstanceChange::kRevoked;
  if (name == "deleted") return InstanceChange::kDeleted;
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<std::string, InstanceEvent>> ParseChangeNotice(std::string_view payload) {
  const auto first = payload.find(' ');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = payload.find(' ', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto change = ChangeNamed(payload.substr(first + 1, second - first - 1));
  const std::string_view id = payload.substr(second + 1);
  if (!change || first == 0 || id.empty() || id.find(' ') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(payload.substr(0, first)),
                        InstanceEvent{*change, std::string(id), std::nullopt});
}

std::unique_ptr<PostgresChangeFeed> PostgresChangeFeed::Start(const PostgresOptions& options,
                                                              std::string own_origin,
                                                              OnChange on_change,
                                                              OnResync on_resync,
                                                              OnKeyRingChange on_key_ring) {
  std::unique_ptr<PostgresChangeFeed> feed(
      new PostgresChangeFeed(options, std::move(own_origin), std::move(on_change),
                             std::move(on_resync), std::move(on_key_ring)));
  feed->thread_ = std::thread([raw = feed.get()] { raw->Run(); });
  return feed;
}

PostgresChangeFeed::PostgresChangeFeed(const PostgresOptions& options, std::string own_origin,
                                       OnChange on_change, OnResync on_resync,
                                       OnKeyRingChange on_key_ring)
    : options_(options),
      own_origin_(std::move(own_origin)),
      on_change_(std::move(on_change)),
      on_resync_(std::move(on_resync)),
      on_key_ring_(std::move(on_key_ring)) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

PostgresChangeFeed::~PostgresChangeFeed() {
  stopping_ = true;
  if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (const int fd : wake_) {
    if (fd >= 0) close(fd);
  }
}

void PostgresChangeFeed::Run() {
  using std::chrono::milliseconds;
  milliseconds backoff{0};
  const pg::ConnectOptions connect{options_.url, options_.password, options_.connect_timeout_s,
                                   options_.statement_timeout_ms};
  while (!stopping_) {
    if (backoff.count() > 0) {
      pollfd wake{wake_[0], POLLIN, 0};
      poll(&wake, 1, static_cast<int>(backoff.count()));
      if (stopping_) break;
    }
    auto conn = pg::PgConnection::Connect(connect);
    for (const char* channel : {kInstanceChannel, kKeyRingChannel}) {
      const std::string listen = std::string("LISTEN ") + channel;
      if (!conn) break;
      if (auto listening = (*conn)->Exec("database listen", listen.c_str()); !listening) {
        conn = tl::unexpected(listening.error());
      }
    }
    if (!conn) {
      if (backoff.count() == 0) {
        spdlog::warn("event=change_feed_down error=\"{}\"", conn.error().message);
      }
      backoff = std::clamp(backoff * 2, milliseconds(100), milliseconds(2000));
      continue;
    }
    backoff = milliseconds(0);
    listening_ = true;
    spdlog::info("event=change_feed_listening channel={}", kInstanceChannel);
    on_resync_();  // anything sent while not listening was missed
    PGconn* raw = (*conn)->raw();
    while (!stopping_) {
      pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, 1000) < 0) continue;
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (PQconsumeInput(raw) == 0 || PQstatus(raw) != CONNECTION_OK) break;
      while (PGnotify* notice = PQnotifies(raw)) {
        if (std::string_view(notice->relname) == kKeyRingChannel) {
          const bool own = std::string_view(notice->extra) == own_origin_;
          PQfreemem(notice);
          if (!own && on_key_ring_) on_key_ring_();
          continue;
        }
        const auto parsed = ParseChangeNotice(notice->extra);
        PQfreemem(notice);
        if (parsed && parsed->first != own_origin_) on_change_(parsed->second);
      }
    }
    listening_ = false;
    if (!stopping_) {
      spdlog::warn("event=change_feed_lost note=\"reconnecting\"");
      backoff = milliseconds(100);
    }
  }
}

}  // namespace seedwell
