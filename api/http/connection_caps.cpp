#include "api/http/connection_caps.h"

#include <sys/socket.h>

namespace seedwell {

bool ConnectionCaps::Admit(HttpConnection& c, const void* loop, HttpConnection*& evict_here) {
  evict_here = nullptr;
  std::lock_guard lock(mu_);
  auto peer = per_peer_.find(c.peer_ip());
  if (peer != per_peer_.end() && peer->second >= limits_.max_connections_per_peer) return false;
  if (open_.load(std::memory_order_relaxed) >= limits_.max_connections) {
    HttpConnection* victim = evicting_ < kMaxEvicting ? TakeVictim() : nullptr;
    if (victim == nullptr) return false;
    evicted_.fetch_add(1, std::memory_order_relaxed);
    if (victim->owner() == loop) {
      Uncount(*victim);
      evict_here = victim;
    } else {
      // Its loop closes it once it sees end of file or the mark; the descriptor is still its,
      // since a loop releases (under this lock) before it closes. It stays marked counted until
      // then, so that Release settles evicting_.
      Discount(*victim);
      victim->MarkEvicted();
      ++evicting_;
      ::shutdown(victim->fd(), SHUT_RDWR);
    }
    peer = per_peer_.find(c.peer_ip());  // the victim may have been this address's last
  }
  if (peer == per_peer_.end()) peer = per_peer_.emplace(c.peer_ip(), 0).first;
  ++peer->second;
  open_.fetch_add(1, std::memory_order_relaxed);
  c.set_counted(true);
  waiting_.Push(c);
  return true;
}

HttpConnection* ConnectionCaps::TakeVictim() {
  HttpConnection* victim = waiting_.Front();
  if (victim == nullptr) victim = waiting_identified_.Front();
  if (victim != nullptr) {
    waiting_.Remove(*victim);
    waiting_identified_.Remove(*victim);
  }
  return victim;
}

void ConnectionCaps::Wait(HttpConnection& c) {
  std::lock_guard lock(mu_);
  if (!c.counted() || c.evicted()) return;  // evicted meanwhile: its loop closes it
  waiting_.Remove(c);
  waiting_identified_.Remove(c);
  (c.identified() ? waiting_identified_ : waiting_).Push(c);
}

bool ConnectionCaps::Busy(HttpConnection& c) {
  std::lock_guard lock(mu_);
  waiting_.Remove(c);
  waiting_identified_.Remove(c);
  return !c.evicted();
}

void ConnectionCaps::Release(HttpConnection& c) {
  std::lock_guard lock(mu_);
  waiting_.Remove(c);
  waiting_identified_.Remove(c);
  if (c.evicted()) {
    if (c.counted()) {  // discounted by the evicting loop already: only evicting_ is left
      c.set_counted(false);
      --evicting_;
    }
    return;
  }
  Uncount(c);
}

void ConnectionCaps::Uncount(HttpConnection& c) {
  if (!c.counted()) return;
  c.set_counted(false);
  Discount(c);
}

void ConnectionCaps::Discount(const HttpConnection& c) {
  open_.fetch_sub(1, std::memory_order_relaxed);
  if (auto peer = per_peer_.find(c.peer_ip()); peer != per_peer_.end() && --peer->second == 0) {
    per_peer_.erase(peer);
  }
}

bool ConnectionCaps::TryLinger() {
  if (lingering_.fetch_add(1, std::memory_order_relaxed) < limits_.max_lingering) return true;
  lingering_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void ConnectionCaps::Clear() {
  std::lock_guard lock(mu_);
  waiting_.Clear();
  waiting_identified_.Clear();
  per_peer_.clear();
  evicting_ = 0;
  open_ = 0;
  lingering_ = 0;
}

}  // namespace seedwell
