#include "api/http/bounded_stream.h"

#include <algorithm>
#include <cstring>

namespace seedwell {

BoundedStream::BoundedStream(const std::string& request, std::string& out,
                             const std::string& peer_ip, int peer_port, const std::string& local_ip,
                             int local_port)
    : request_(request),
      out_(out),
      out_start_(out.size()),
      peer_ip_(peer_ip),
      peer_port_(peer_port),
      local_ip_(local_ip),
      local_port_(local_port) {}

ssize_t BoundedStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, request_.size() - position_);
  std::memcpy(ptr, request_.data() + position_, n);
  position_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t BoundedStream::write(const char* ptr, size_t size) {
  out_.append(ptr, size);
  if (status_ == 0 && out_.size() - out_start_ >= 12) {
    const char* status_line = out_.data() + out_start_;
    if (std::memcmp(status_line, "HTTP/1.", 7) == 0) {
      status_ =
          (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
    }
  }
  return static_cast<ssize_t>(size);
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
