// PostgresChangeFeed: hears the instance changes other replicas make, through PostgreSQL's
// LISTEN/NOTIFY, and hands each to a callback (the server wires it to Registry::Publish).
//
// One dedicated connection LISTENs on kInstanceChannel; a thread waits on its socket and reads
// the notices PostgresStore sends with every write ("ORIGIN CHANGE ID", sent when the write
// commits). Notices from |own_origin| (this process's own writes, already handled) are skipped.
// When the connection drops, the thread reconnects with back-off (100 ms doubling to 2 s) and
// LISTENs again; notices sent meanwhile are lost, so after every (re)connection it calls
// |on_resync| (drop every cached instance). The Registry's cache TTL stays the last fallback.
//
// The same connection also LISTENs on kKeyRingChannel (postgres_key_ring.h): a key ring change
// another replica made calls |on_key_ring| (reload the ring). After a (re)connection only
// |on_resync| is called; it should reload the ring too.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "service/instance_events.h"
#include "service/store/postgres_store.h"

namespace seedwell {

// ParseChangeNotice parses a notice payload "ORIGIN CHANGE ID" into its origin and event (the
// event without the instance record); nullopt if malformed.
std::optional<std::pair<std::string, InstanceEvent>> ParseChangeNotice(std::string_view payload);

// PostgresChangeFeed is described at the top of this file.
class PostgresChangeFeed {
 public:
  using OnChange = std::function<void(const InstanceEvent&)>;
  using OnResync = std::function<void()>;
  using OnKeyRingChange = std::function<void()>;

  // Start begins listening in a thread of its own. The callbacks run on that thread, one at a
  // time; they must not block for long; |on_key_ring| may be empty. Never fails: an unreachable
  // server is retried.
  static std::unique_ptr<PostgresChangeFeed> Start(const PostgresOptions& options,
                                                   std::string own_origin, OnChange on_change,
                                                   OnResync on_resync,
                                                   OnKeyRingChange on_key_ring = {});

  // The destructor stops the thread (within one poll interval) and closes the connection.
  ~PostgresChangeFeed();
  PostgresChangeFeed(const PostgresChangeFeed&) = delete;
  PostgresChangeFeed& operator=(const PostgresChangeFeed&) = delete;

  // Listening reports whether the feed is connected and listening now.
  bool Listening() const { return listening_.load(); }

 private:
  PostgresChangeFeed(const PostgresOptions& options, std::string own_origin, OnChange on_change,
                     OnResync on_resync, OnKeyRingChange on_key_ring);
  void Run();

  PostgresOptions options_;
  std::string own_origin_;
  OnChange on_change_;
  OnResync on_resync_;
  OnKeyRingChange on_key_ring_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  int wake_[2] = {-1, -1};  // a pipe: written to stop the thread at once
  std::thread thread_;
};

}  // namespace seedwell
