#include "api/http/bounded_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace seedwell {

namespace {
constexpr std::size_t kFlushBytes = std::size_t{16} * 1024;
}  // namespace

BoundedStream::BoundedStream(const std::string& request, Transport& transport, std::string peer_ip,
                             int peer_port, std::string local_ip, int local_port,
                             std::chrono::milliseconds write_budget)
    : request_(request),
      transport_(transport),
      peer_ip_(std::move(peer_ip)),
      peer_port_(peer_port),
      local_ip_(std::move(local_ip)),
      local_port_(local_port),
      write_budget_(write_budget) {}

ssize_t BoundedStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, request_.size() - position_);
  std::memcpy(ptr, request_.data() + position_, n);
  position_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BoundedStream::write(const char* ptr, size_t size) {
  if (failed_) return -1;
  if (!started_) {
    started_ = true;
    deadline_ = std::chrono::steady_clock::now() + write_budget_;
  }
  if (status_ == 0 && out_.empty() && size >= 12 && std::memcmp(ptr, "HTTP/1.", 7) == 0) {
    status_ = (ptr[9] - '0') * 100 + (ptr[10] - '0') * 10 + (ptr[11] - '0');
  }
  out_.append(ptr, size);
  if (out_.size() >= kFlushBytes && !Flush()) return -1;
  return static_cast<ssize_t>(size);
}

bool BoundedStream::Flush() {
  if (failed_) return false;
  if (!out_.empty() && !transport_.WriteAll(out_.data(), out_.size(), deadline_)) failed_ = true;
  out_.clear();
  return !failed_;
}

void BoundedStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_ip_;
  port = peer_port_;
}

void BoundedStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_ip_;
  port = local_port_;
}

}  // namespace seedwell
