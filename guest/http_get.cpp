#include "guest/http_get.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace seedwell {
namespace {

using Clock = std::chrono::steady_clock;

// Fd closes a socket when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
}

// WaitFor polls |fd| for |events| until |deadline|; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

std::string Where(const HttpUrl& url) {
  return (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" +
         std::to_string(url.port);
}

// ConnectOne connects a non-blocking socket to |addr| before |deadline|; -1 on failure (errno).
int ConnectOne(const sockaddr* addr, socklen_t len, Clock::time_point deadline) {
  const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, addr, len) == 0) return fd;
  if (errno == EINPROGRESS && WaitFor(fd, POLLOUT, deadline)) {
    int err = 0;
    socklen_t err_len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err == 0) return fd;
    errno = err != 0 ? err : ETIMEDOUT;
  } else if (errno == EINPROGRESS) {
    errno = ETIMEDOUT;
  }
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return -1;
}

Result<int> Connect(const HttpUrl& url, Clock::time_point deadline) {
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET, url.host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(url.port);
    const int fd = ConnectOne(reinterpret_cast<sockaddr*>(&v4), sizeof v4, deadline);
    if (fd >= 0) return fd;
  } else if (::inet_pton(AF_INET6, url.host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(url.port);
    const int fd = ConnectOne(reinterpret_cast<sockaddr*>(&v6), sizeof v6, deadline);
    if (fd >= 0) return fd;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      return Fail(ErrorCode::kUnavailable,
                  "cannot resolve " + url.host + ": " + ::gai_strerror(rc));
    }
    int fd = -1;
    for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
      fd = ConnectOne(a->ai_addr, a->ai_addrlen, deadline);
    }
    const int saved = errno;
    ::freeaddrinfo(found);
    if (fd >= 0) return fd;
    errno = saved;
  }
  return Fail(ErrorCode::kUnavailable,
              "cannot connect to " + Where(url) + ": " + std::strerror(errno));
}

Result<void> SendAll(int fd, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    const bool retry =
        n < 0 && (errno == EINTR || (errno == EAGAIN && WaitFor(fd, POLLOUT, deadline)));
    if (!retry) return Fail(ErrorCode::kUnavailable, "sending the request failed or timed out");
  }
  return {};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<void> ParseReplyHead(std::string_view head, HttpReply& reply) {
  const auto line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return Fail(ErrorCode::kInvalidArgument, "reply is not HTTP/1.x");
  }
  const auto code = status_line.substr(9, 3);
  if (std::from_chars(code.data(), code.data() + 3, reply.status).ec != std::errc{} ||
      reply.status < 100 || reply.status > 599) {
    return Fail(ErrorCode::kInvalidArgument, "reply has no valid status code");
  }
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Fail(ErrorCode::kInvalidArgument, "reply has a malformed header line");
    }
    reply.headers.emplace_back(Lower(line.substr(0, colon)),
                               std::string(Trim(line.substr(colon + 1))));
  }
  return {};
}

std::string_view HttpReply::Header(std::string_view name) const {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (const auto& [header_name, value] : headers) {
    if (header_name.size() == name.size() &&
        std::equal(header_name.begin(), header_name.end(), name.begin(),
                   [&lower](char a, char b) { return a == lower(b); })) {
      return value;
    }
  }
  return {};
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return Fail(ErrorCode::kInvalidArgument,
                "https is not supported: blocks are signed (and sealed when a sealing key is "
                "set), so use http:// to the metadata address");
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Fail(ErrorCode::kInvalidArgument, "service URL must start with http://");
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Fail(ErrorCode::kInvalidArgument, "service URL contains a space or control character");
    }
  }
  std::string_view rest = url.substr(kScheme.size());
  HttpUrl out;
  const auto slash = rest.find('/');
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view authority = rest.substr(0, slash);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "bad IPv6 host");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Fail(ErrorCode::kInvalidArgument, "bad host");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Fail(ErrorCode::kInvalidArgument, "service URL has no host");
  if (out.host.find('@') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "service URL must not carry user information");
  }
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || r.ec != std::errc{} || r.ptr != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Fail(ErrorCode::kInvalidArgument, "service URL has a bad port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

Result<HttpReply> HttpGet(const HttpUrl& url, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          Clock::time_point deadline, std::size_t max_reply_bytes) {
  auto connected = Connect(url, deadline);
  SEEDWELL_RETURN_IF_ERROR(connected);
  const Fd fd(*connected);

  std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + Where(url) +
                        "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  request += "\r\n";
  auto sent = SendAll(fd.get(), request, deadline);
  // The request may hold a bearer token: wipe it whether or not it was sent.
  sodium_memzero(request.data(), request.size());
  SEEDWELL_RETURN_IF_ERROR(sent);

  SecretBuffer raw(max_reply_bytes);
  std::size_t used = 0;
  std::size_t head_end = std::string_view::npos;
  std::size_t want = max_reply_bytes + 1;  // total bytes expected, once Content-Length is known
  HttpReply reply;
  while (used < want) {
    if (!WaitFor(fd.get(), POLLIN, deadline)) {
      return Fail(ErrorCode::kUnavailable, "timed out waiting for the reply from " + Where(url));
    }
    if (used == raw.size()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "reply is longer than " + std::to_string(max_reply_bytes) + " bytes");
    }
    const ssize_t n = ::recv(fd.get(), raw.data() + used, raw.size() - used, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Fail(ErrorCode::kUnavailable, "connection to " + Where(url) + " broke");
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (head_end != std::string_view::npos) continue;
    const std::string_view seen(reinterpret_cast<const char*>(raw.data()), used);
    head_end = seen.find("\r\n\r\n");
    if (head_end == std::string_view::npos) continue;
    if (auto parsed = ParseReplyHead(seen.substr(0, head_end), reply); !parsed) {
      return tl::unexpected(parsed.error());
    }
    if (Lower(reply.Header("transfer-encoding")).find("chunked") != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument, "chunked replies are not supported");
    }
    const std::string_view length = reply.Header("content-length");
    if (!length.empty()) {
      std::size_t value = 0;
      const auto r = std::from_chars(length.data(), length.data() + length.size(), value);
      if (r.ec != std::errc{} || r.ptr != length.data() + length.size() ||
          value > max_reply_bytes - std::min(max_reply_bytes, head_end + 4)) {
        return Fail(ErrorCode::kInvalidArgument, "reply has a bad or too large Content-Length");
      }
      want = head_end + 4 + value;
    }
  }
  if (head_end == std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "reply from " + Where(url) + " ended before its headers");
  }
  if (want <= max_reply_bytes && used < want) {
    return Fail(ErrorCode::kUnavailable, "reply body was cut short");
  }
  const std::size_t body_size = std::min(used, want) - (head_end + 4);
  reply.body = SecretBuffer(body_size);
  if (body_size > 0) std::memcpy(reply.body.data(), raw.data() + head_end + 4, body_size);
  return reply;
}

}  // namespace seedwell
