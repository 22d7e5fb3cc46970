#include "cli/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <string>

#include "api/http/http_server.h"

namespace seedwell {
namespace {

// HttpDescriptors returns what one HTTP listener capped at |max_connections|, with |event_loops|
// loops, holds at most.
std::size_t HttpDescriptors(int max_connections, int event_loops = 1) {
  HttpServerOptions options;
  options.max_connections = static_cast<std::size_t>(std::max(0, max_connections));
  options.event_loops = static_cast<std::size_t>(std::max(1, event_loops));
  options.max_lingering = LingeringFor(max_connections);
  return HttpServer::DescriptorsNeeded(options);
}

// EgdKinds returns how many EGD listener kinds (TCP listener, per-instance socket directory) are
// enabled; each may hold --egd-max-connections descriptors.
std::size_t EgdKinds(const EgdOptions& egd) {
  return (egd.listen.empty() ? 0U : 1U) + (egd.socket_dir.empty() ? 0U : 1U);
}

std::size_t EgdDescriptors(const EgdOptions& egd) {
  const std::size_t kinds = EgdKinds(egd);
  return kinds * (static_cast<std::size_t>(std::max(0, egd.max_connections)) + 1);
}

std::string Explain(const ServeConfig& c, std::size_t limit) {
  return "open-file limit " + std::to_string(limit) +
         " (RLIMIT_NOFILE, after raising the soft limit to the hard one) cannot hold the "
         "connection "
         "caps: --max-connections " +
         std::to_string(c.max_connections) + " (" +
         std::to_string(HttpDescriptors(c.max_connections, c.event_loops)) +
         " descriptors) + --admin-max-connections " + std::to_string(c.admin_max_connections) +
         " (" + std::to_string(HttpDescriptors(c.admin_max_connections)) +
         ") + --egd-max-connections " + std::to_string(c.egd.max_connections) + " (" +
         std::to_string(EgdDescriptors(c.egd)) + ") + " + std::to_string(kDescriptorReserve) +
         " reserved; lower the caps or raise the limit (systemd LimitNOFILE=, ulimit -n)";
}

}  // namespace

std::size_t LingeringFor(int max_connections) {
  return std::clamp<std::size_t>(static_cast<std::size_t>(std::max(0, max_connections)) / 8, 16,
                                 512);
}

std::size_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max && limit.rlim_max != RLIM_INFINITY) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20
                                         : static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t DescriptorsFor(const ServeConfig& c) {
  return kDescriptorReserve + HttpDescriptors(c.max_connections, c.event_loops) +
         HttpDescriptors(c.admin_max_connections) + EgdDescriptors(c.egd);
}

Result<void> FitConnectionCaps(ServeConfig& c, std::size_t limit) {
  const bool fit_guest = c.max_connections == 0;
  const bool fit_egd = c.egd.max_connections == 0 && EgdKinds(c.egd) > 0;
  if (c.egd.max_connections == 0 && !fit_egd) c.egd.max_connections = kDefaultEgdConnections;
  if (DescriptorsFor(c) > limit) return Fail(ErrorCode::kInvalidArgument, Explain(c, limit));
  if (!fit_guest && !fit_egd) return {};
  // Scale the caps to fit down from their defaults, in proportion, then trim until they fit.
  const std::size_t fixed = DescriptorsFor(c);
  EgdOptions default_egd = c.egd;
  default_egd.max_connections = kDefaultEgdConnections;
  const std::size_t wanted =
      (fit_guest ? HttpDescriptors(kDefaultGuestConnections, c.event_loops) : 0) +
      (fit_egd ? EgdDescriptors(default_egd) : 0);
  const double scale =
      std::min(1.0, static_cast<double>(limit - fixed) / static_cast<double>(wanted));
  if (fit_guest) c.max_connections = static_cast<int>(kDefaultGuestConnections * scale);
  if (fit_egd) c.egd.max_connections = static_cast<int>(kDefaultEgdConnections * scale);
  while (DescriptorsFor(c) > limit) {
    if (fit_guest && c.max_connections > 0) --c.max_connections;
    if (fit_egd && c.egd.max_connections > 0) --c.egd.max_connections;
  }
  if ((fit_guest && c.max_connections < kMinFittedConnections) ||
      (fit_egd && c.egd.max_connections < kMinFittedConnections)) {
    return Fail(ErrorCode::kInvalidArgument, Explain(c, limit));
  }
  return {};
}

}  // namespace seedwell
