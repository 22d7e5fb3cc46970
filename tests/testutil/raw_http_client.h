// RawClient: a blocking TCP client from a chosen 127.x source address, for tests that send HTTP
// bytes exactly as written (pipelining, malformed heads) and read the server's answer raw.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace seedwell::testing {

// ConnectFrom binds socket |fd| to the 127.x address |source| and connects it to 127.0.0.1:|port|
// (blocking); false if either step fails.
inline bool ConnectFrom(int fd, const char* source, int port) {
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, source, &src.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) return false;
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) == 0;
}

// RawClient is a blocking TCP client from a chosen 127.x source address.
class RawClient {
 public:
  RawClient(int port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    connected_ = ConnectFrom(fd_, source, port);
    timeval tv{2, 0};  // bounds every read in these tests
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // ReadAll reads until the server closes (or the 2 s read timeout); "" if nothing came.
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // ReadResponse reads one response whose body length is given by Content-Length.
  std::string ReadResponse() {
    std::string out;
    char c = 0;
    while (out.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) out += c;
    const auto pos = out.find("Content-Length: ");
    if (pos == std::string::npos) return out;
    std::size_t left = std::stoul(out.substr(pos + 16));
    while (left > 0 && ::recv(fd_, &c, 1, 0) == 1) {
      out += c;
      --left;
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

inline bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// WaitFor polls |condition| every 5 ms for at most 2 s.
template <typename F>
bool WaitFor(F condition) {
  for (int i = 0; i < 400; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace seedwell::testing
