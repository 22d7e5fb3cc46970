#include "crypto/egd_source.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "crypto/egd_wire.h"
#include "crypto/host_port.h"

namespace seedwell {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{10000};

bool IsUnixAddress(const std::string& address) {
  return address.rfind("unix:", 0) == 0 || (!address.empty() && address.front() == '/');
}

std::string UnixPath(const std::string& address) {
  return address.rfind("unix:", 0) == 0 ? address.substr(5) : address;
}

// WaitFor polls |fd| for |events| until |deadline|; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left, 60000)));
    if (r > 0) return (p.revents & (events | POLLHUP | POLLERR)) != 0;
    if (r < 0 && errno != EINTR) return false;
  }
}

}  // namespace

Result<std::unique_ptr<EgdSource>> EgdSource::Create(std::string address,
                                                     std::chrono::milliseconds timeout,
                                                     double min_entropy_per_byte) {
  if (!(min_entropy_per_byte > 0 && min_entropy_per_byte <= 8)) {
    return Fail(ErrorCode::kInvalidArgument, "upstream EGD min-entropy must be in (0, 8]");
  }
  if (IsUnixAddress(address)) {
    const std::string path = UnixPath(address);
    if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Fail(ErrorCode::kInvalidArgument, "bad upstream EGD socket path '" + address + "'");
    }
  } else {
    if (!ParseHostPort(address)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "upstream EGD address must be HOST:PORT or a socket path, got '" + address + "'");
    }
  }
  return std::unique_ptr<EgdSource>(
      new EgdSource(std::move(address), timeout, min_entropy_per_byte));
}

EgdSource::EgdSource(std::string address, std::chrono::milliseconds timeout, double h)
    : address_(std::move(address)), timeout_(timeout), h_(h) {}

EgdSource::~EgdSource() { Disconnect(); }

void EgdSource::Disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Result<void> EgdSource::Connect(Clock::time_point deadline) {
  if (Clock::now() < next_connect_) {
    return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": reconnect backing off");
  }
  backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
  next_connect_ = Clock::now() + backoff_;  // cleared by the next successful read

  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (IsUnixAddress(address_)) {
    auto* un = reinterpret_cast<sockaddr_un*>(&addr);
    un->sun_family = AF_UNIX;
    const std::string path = UnixPath(address_);
    std::memcpy(un->sun_path, path.data(), path.size());
    addr_len = static_cast<socklen_t>(sizeof(sockaddr_un));
  } else {
    const HostPort hp = *ParseHostPort(address_);  // validated by Create
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(hp.host.c_str(), std::to_string(hp.port).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": cannot resolve");
    }
    std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
    addr_len = found->ai_addrlen;
    freeaddrinfo(found);
  }
  fd_ = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": socket failed");
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) {
      const std::string why = std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
      Disconnect();
      return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": " + why);
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (!WaitFor(fd_, POLLOUT, deadline) ||
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      Disconnect();
      return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": connect failed");
    }
  }
  return {};
}

Result<void> EgdSource::ReadChunk(std::span<std::uint8_t> out, Clock::time_point deadline) {
  const std::uint8_t request[2] = {static_cast<std::uint8_t>(EgdCommand::kReadBlocking),
                                   static_cast<std::uint8_t>(out.size())};
  std::size_t sent = 0;
  while (sent < sizeof(request)) {
    const ssize_t n = send(fd_, request + sent, sizeof(request) - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (!(n < 0 &&
                 (errno == EINTR || (errno == EAGAIN && WaitFor(fd_, POLLOUT, deadline))))) {
      return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": send failed");
    }
  }
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = recv(fd_, out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      return Fail(ErrorCode::kUnavailable, "upstream EGD " + address_ + ": connection closed");
    } else if (errno != EINTR && !(errno == EAGAIN && WaitFor(fd_, POLLIN, deadline))) {
      return Fail(ErrorCode::kUnavailable,
                  "upstream EGD " + address_ + ": read failed or timed out");
    }
  }
  return {};
}

Result<void> EgdSource::Read(std::span<std::uint8_t> out) {
  const auto deadline = Clock::now() + timeout_;
  Result<void> result;
  if (fd_ < 0) result = Connect(deadline);
  for (std::size_t at = 0; result && at < out.size(); at += kEgdMaxRead) {
    result = ReadChunk(out.subspan(at, std::min(kEgdMaxRead, out.size() - at)), deadline);
  }
  if (!result) {
    Disconnect();
    sodium_memzero(out.data(), out.size());
    return result;
  }
  backoff_ = std::chrono::milliseconds(0);
  next_connect_ = {};
  return {};
}

}  // namespace seedwell
