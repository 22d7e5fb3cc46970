// ConnectionQueue: an intrusive first-in, first-out list of HttpConnections, the order in which
// ConnectionCaps evicts waiting connections when a server's cap is reached. Push, Remove and Front
// are O(1) and allocate nothing (the links live in the connection), so keeping a connection queued
// costs the request path nothing.
#pragma once

#include "api/http/http_connection.h"

namespace seedwell {

// ConnectionQueue holds borrowed connections; a connection is in at most one queue at a time and
// must be removed before it is destroyed. Not thread-safe: ConnectionCaps guards its queues.
class ConnectionQueue {
 public:
  ConnectionQueue() = default;
  ConnectionQueue(const ConnectionQueue&) = delete;
  ConnectionQueue& operator=(const ConnectionQueue&) = delete;

  // Push appends |c| (which must be in no queue) at the back.
  void Push(HttpConnection& c) {
    HttpConnection::QueueLinks& links = c.links();
    links.queue = this;
    links.prev = back_;
    links.next = nullptr;
    if (back_ != nullptr) {
      back_->links().next = &c;
    } else {
      front_ = &c;
    }
    back_ = &c;
  }

  // Remove takes |c| out of this queue; it does nothing if |c| is not in it.
  void Remove(HttpConnection& c) {
    HttpConnection::QueueLinks& links = c.links();
    if (links.queue != this) return;
    (links.prev != nullptr ? links.prev->links().next : front_) = links.next;
    (links.next != nullptr ? links.next->links().prev : back_) = links.prev;
    links = HttpConnection::QueueLinks{};
  }

  // Clear forgets every queued connection (for a server discarding all of them at once).
  void Clear() { front_ = back_ = nullptr; }

  // Front returns the connection queued longest, or nullptr when the queue is empty.
  HttpConnection* Front() const { return front_; }

 private:
  HttpConnection* front_ = nullptr;
  HttpConnection* back_ = nullptr;
};

}  // namespace seedwell
