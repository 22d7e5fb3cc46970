#include "crypto/vmgenid_events.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace seedwell {
namespace {

constexpr std::uint32_t kKernelGroup = 1;
constexpr std::size_t kMaxUeventBytes = 8192;  // the kernel's UEVENT_BUFFER_SIZE is 2048
constexpr int kReceiveBufferBytes = 256 * 1024;

}  // namespace

bool IsNewVmgenidUevent(std::span<const std::uint8_t> message) {
  const std::string_view text(reinterpret_cast<const char*>(message.data()), message.size());
  // The first field is "ACTION@DEVPATH"; libudev's messages start "libudev\0" and have no '@'.
  const std::size_t first_end = text.find('\0');
  if (first_end == std::string_view::npos) return false;
  if (text.substr(0, first_end).find('@') == std::string_view::npos) return false;
  std::size_t pos = first_end + 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\0', pos);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(pos, end - pos) == "NEW_VMGENID=1") return true;
    pos = end + 1;
  }
  return false;
}

bool IsVmForkKmsgRecord(std::span<const std::uint8_t> record) {
  const std::string_view text(reinterpret_cast<const char*>(record.data()), record.size());
  const std::size_t comma = text.find(',');
  const std::size_t semi = text.find(';');
  if (comma == std::string_view::npos || semi == std::string_view::npos || comma == 0 ||
      comma > 3 || semi < comma) {
    return false;
  }
  int pri = 0;
  for (const char c : text.substr(0, comma)) {
    if (c < '0' || c > '9') return false;
    pri = pri * 10 + (c - '0');
  }
  if (pri >= 8) return false;  // not the kernel facility: written by a process
  std::string_view message = text.substr(semi + 1);
  message = message.substr(0, message.find('\n'));
  return message.find("crng reseeded due to virtual machine fork") != std::string_view::npos;
}

bool UeventListener::DrainKmsg() {
  bool fork = false;
  std::array<std::uint8_t, kMaxUeventBytes> record{};
  for (int i = 0; i < 1024; ++i) {  // bounded: a flood of log records cannot hold the caller
    const ssize_t n = ::read(kmsg_fd_, record.data(), record.size());
    if (n < 0 && (errno == EINTR || errno == EPIPE)) continue;  // EPIPE: records overwritten
    if (n <= 0) break;                                          // EAGAIN: none left
    if (IsVmForkKmsgRecord(std::span(record.data(), static_cast<std::size_t>(n)))) fork = true;
  }
  return fork;
}

Result<UeventListener> UeventListener::Open() {
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (fd < 0) {
    return Fail(ErrorCode::kUnavailable,
                std::string("netlink uevent socket: ") + std::strerror(errno));
  }
  // A bigger buffer makes a lost event (ENOBUFS) less likely during a burst of device events.
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof(kReceiveBufferBytes));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = kKernelGroup;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    return Fail(ErrorCode::kUnavailable,
                std::string("binding the netlink uevent socket: ") + std::strerror(err));
  }
  UeventListener listener(fd, /*netlink=*/true);
  listener.kmsg_fd_ = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (listener.kmsg_fd_ >= 0) (void)::lseek(listener.kmsg_fd_, 0, SEEK_END);
  return listener;
}

UeventListener UeventListener::FromFd(int fd) { return UeventListener(fd, /*netlink=*/false); }

UeventListener::UeventListener(UeventListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      kmsg_fd_(std::exchange(other.kmsg_fd_, -1)),
      netlink_(other.netlink_) {}

UeventListener& UeventListener::operator=(UeventListener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    if (kmsg_fd_ >= 0) ::close(kmsg_fd_);
    fd_ = std::exchange(other.fd_, -1);
    kmsg_fd_ = std::exchange(other.kmsg_fd_, -1);
    netlink_ = other.netlink_;
  }
  return *this;
}

UeventListener::~UeventListener() {
  if (fd_ >= 0) ::close(fd_);
  if (kmsg_fd_ >= 0) ::close(kmsg_fd_);
}

Result<bool> UeventListener::WaitForVmgenid(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<std::uint8_t, kMaxUeventBytes> buf{};
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd_, POLLIN, 0}, {kmsg_fd_, POLLIN, 0}};
    pollfd& p = fds[0];
    const int ready = ::poll(fds, kmsg_fd_ >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      return Fail(ErrorCode::kUnavailable, std::string("poll: ") + std::strerror(errno));
    }
    if (ready == 0) return false;
    if (kmsg_fd_ >= 0 && (fds[1].revents & POLLIN) != 0 && DrainKmsg()) return true;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    sockaddr_nl from{};
    socklen_t from_len = sizeof(from);
    const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ENOBUFS) return true;  // events were lost: one of them may have been ours
      return Fail(ErrorCode::kUnavailable, std::string("recv: ") + std::strerror(errno));
    }
    if (n == 0 && (p.revents & POLLHUP) != 0) {
      return Fail(ErrorCode::kUnavailable, "the uevent socket was closed");
    }
    if (netlink_ && (from_len < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)) {
      continue;  // not from the kernel: a local process may not fake a generation change
    }
    if (IsNewVmgenidUevent(std::span(buf.data(), static_cast<std::size_t>(n)))) return true;
  }
}

}  // namespace seedwell
