// seedwell-storm: an open-loop "boot storm" load generator for one HTTP/1.1 server on loopback.
//
// Theory of operation
// -------------------
// A boot storm is many guests each opening one new connection and making one request. A closed
// loop (wrk) cannot model it: its next request waits for the previous reply, so a slow server
// slows the load down and hides its own queueing. Here connection i is opened at t0 + i / rate
// whatever happened to earlier ones (the schedule never waits for replies), for rate x duration
// connections in all. Each connection:
//   socket (non-blocking) -> bind to source address i mod K in 127.0.0.0/8 (port chosen at connect,
//   IP_BIND_ADDRESS_NO_PORT) -> connect -> write one request (Connection: close, an optional body)
//   -> read the response until Content-Length is complete (or end of stream) -> close.
// Latency is from just before connect() to the arrival of the response's last byte: the kernel's
// software receive timestamp of that segment (SO_TIMESTAMPING) where the kernel gives one, else the
// clock read right after the read that completed it. Both ends are CLOCK_REALTIME (the kernel's
// timestamp clock). The generator's own lateness (connect() start minus scheduled time) is reported
// separately: if it is large, the generator, not the server, fell behind.
//
// One or two threads, each with its own epoll set (edge-triggered, registered once per
// connection); thread t owns the connections i with i mod threads == t. Everything is bounded: the
// number of connections (rate x duration <= 10 million), connections in flight (--max-inflight),
// each connection's time (--timeout-ms) and the whole run (duration + timeout).
//
// Output: a human summary, then one line "RESULT key=value ..." for scripts (times in
// microseconds).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

// Options are the command line, validated by ParseOptions.
struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string method = "GET";
  std::string path = "/";
  std::vector<std::string> headers;
  std::string body;     // sent with a Content-Length when not empty
  double rate = 1000;   // new connections per second
  double duration = 1;  // seconds
  int sources = 1;      // source addresses
  std::string source_base = "127.1.0.1";
  int threads = 1;
  int timeout_ms = 5000;
  int max_inflight = 30000;
};

// Stats are one thread's counts and samples; merged at the end.
struct Stats {
  std::uint64_t started = 0, ok = 0, connect_errors = 0, refused = 0, timeouts = 0, read_errors = 0,
                non2xx = 0, skipped = 0, kernel_stamps = 0;
  std::vector<std::int64_t> latency_ns;       // successful and non-2xx completions
  std::vector<std::int64_t> lag_ns;           // connect() start minus schedule, every started one
  std::map<int, std::uint64_t> non2xx_codes;  // status -> count, for the non-2xx responses

  // Merge adds |other|'s counts and samples to these.
  void Merge(const Stats& other) {
    started += other.started;
    ok += other.ok;
    connect_errors += other.connect_errors;
    refused += other.refused;
    timeouts += other.timeouts;
    read_errors += other.read_errors;
    non2xx += other.non2xx;
    skipped += other.skipped;
    kernel_stamps += other.kernel_stamps;
    latency_ns.insert(latency_ns.end(), other.latency_ns.begin(), other.latency_ns.end());
    lag_ns.insert(lag_ns.end(), other.lag_ns.begin(), other.lag_ns.end());
    for (const auto& [code, n] : other.non2xx_codes) non2xx_codes[code] += n;
  }

  // Non2xxCodes lists the non-2xx statuses as "503:12,429:3" (or "-" if none).
  std::string Non2xxCodes() const {
    std::string list;
    for (const auto& [code, n] : non2xx_codes) {
      list += (list.empty() ? "" : ",") + std::to_string(code) + ":" + std::to_string(n);
    }
    return list.empty() ? "-" : list;
  }

  // Errors is every connection that did not end in a complete response of any status but 2xx.
  std::uint64_t Errors() const {
    return connect_errors + refused + timeouts + read_errors + non2xx + skipped;
  }
};

// Conn is one connection's state, indexed by its file descriptor.
struct Conn {
  enum State : std::uint8_t { kFree, kConnecting, kReading } state = kFree;
  std::int64_t start_ns = 0;  // CLOCK_REALTIME just before connect()
  std::int64_t deadline_ns = 0;
  std::int64_t last_stamp_ns = 0;  // receive time of the latest bytes read
  bool stamp_from_kernel = false;
  std::string head;             // bytes of the response read so far (head, then counted body)
  std::int64_t body_left = -1;  // unknown until the head is complete
  int status = 0;
};

std::int64_t NowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void Usage(const char* why) {
  std::fprintf(
      stderr,
      "seedwell-storm: %s\n"
      "usage: seedwell-storm --port P [--host 127.0.0.1] [--method GET] [--path /]\n"
      "       [--header 'Name: value']... [--body TEXT] [--rate N/s] [--duration S] [--sources K]\n"
      "       [--source-base 127.1.0.1] [--threads 1|2] [--timeout-ms 5000]\n"
      "       [--max-inflight 30000]\n",
      why);
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help") Usage("an open-loop connection storm");
    if (i + 1 >= argc) Usage("missing value");
    const std::string value = argv[++i];
    if (arg == "--host")
      o.host = value;
    else if (arg == "--port")
      o.port = std::atoi(value.c_str());
    else if (arg == "--method")
      o.method = value;
    else if (arg == "--path")
      o.path = value;
    else if (arg == "--header")
      o.headers.push_back(value);
    else if (arg == "--body")
      o.body = value;
    else if (arg == "--rate")
      o.rate = std::atof(value.c_str());
    else if (arg == "--duration")
      o.duration = std::atof(value.c_str());
    else if (arg == "--sources")
      o.sources = std::atoi(value.c_str());
    else if (arg == "--source-base")
      o.source_base = value;
    else if (arg == "--threads")
      o.threads = std::atoi(value.c_str());
    else if (arg == "--timeout-ms")
      o.timeout_ms = std::atoi(value.c_str());
    else if (arg == "--max-inflight")
      o.max_inflight = std::atoi(value.c_str());
    else
      Usage(("unknown option " + arg).c_str());
  }
  if (o.port <= 0 || o.port > 65535) Usage("--port is required (1..65535)");
  if (!(o.rate > 0 && o.rate <= 1e6)) Usage("--rate must be in (0, 1e6]");
  if (!(o.duration > 0 && o.duration <= 600)) Usage("--duration must be in (0, 600]");
  if (o.rate * o.duration > 1e7) Usage("rate x duration must be at most 10 million");
  if (o.sources < 1 || o.sources > 65536) Usage("--sources must be in [1, 65536]");
  if (o.threads < 1 || o.threads > 2) Usage("--threads must be 1 or 2");
  if (o.timeout_ms < 1 || o.timeout_ms > 60000) Usage("--timeout-ms must be in [1, 60000]");
  if (o.body.size() > 8192) Usage("--body is limited to 8 KiB (one write)");
  if (o.max_inflight < 1 || o.max_inflight > 1000000) Usage("--max-inflight out of range");
  return o;
}

// Worker runs one thread's share of the schedule.
class Worker {
 public:
  Worker(const Options& o, int index, std::int64_t t0_mono, std::string request)
      : o_(o), index_(index), t0_mono_(t0_mono), request_(std::move(request)) {
    total_ = static_cast<std::uint64_t>(o.rate * o.duration);
    interval_ns_ = 1e9 / o.rate;
    inet_pton(AF_INET, o.host.c_str(), &server_.sin_addr);
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<std::uint16_t>(o.port));
    in_addr base{};
    inet_pton(AF_INET, o.source_base.c_str(), &base);
    base_ = ntohl(base.s_addr);
  }

  // Run drives the schedule to the end and waits for (or times out) every connection.
  void Run() {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      std::perror("epoll_create1");
      std::exit(1);
    }
    stats_.latency_ns.reserve(total_ / static_cast<std::uint64_t>(o_.threads) + 1);
    stats_.lag_ns.reserve(total_ / static_cast<std::uint64_t>(o_.threads) + 1);
    const std::int64_t hard_end = t0_mono_ + static_cast<std::int64_t>(o_.duration * 1e9) +
                                  1'000'000LL * o_.timeout_ms + 1'000'000'000;
    std::uint64_t next = static_cast<std::uint64_t>(index_);
    std::vector<epoll_event> events(1024);
    while (true) {
      std::int64_t now = NowNs(CLOCK_MONOTONIC);
      while (next < total_ && Due(next) <= now) {
        Start(next, now);
        next += static_cast<std::uint64_t>(o_.threads);
        now = NowNs(CLOCK_MONOTONIC);
      }
      ExpireTimeouts();
      if (next >= total_ && inflight_ == 0) break;
      if (now > hard_end) break;
      // Sleep until the next scheduled connection (nanosecond timeout), or 1 ms when all started.
      std::int64_t wait_ns = next < total_ ? Due(next) - now : 1'000'000;
      wait_ns = std::clamp<std::int64_t>(wait_ns, 0, 1'000'000);
      timespec timeout{0, static_cast<long>(wait_ns)};
      const int n =
          epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
      for (int i = 0; i < n; ++i) OnEvent(events[static_cast<std::size_t>(i)]);
    }
    // Anything still open at the hard end counts as a timeout.
    for (int fd = 0; fd < static_cast<int>(conns_.size()); ++fd) {
      if (conns_[static_cast<std::size_t>(fd)].state != Conn::kFree) {
        ++stats_.timeouts;
        Close(fd);
      }
    }
    close(epoll_);
  }

  // stats returns the thread's counts and samples; read them after Run returns.
  const Stats& stats() const { return stats_; }

 private:
  std::int64_t Due(std::uint64_t i) const {
    return t0_mono_ + static_cast<std::int64_t>(static_cast<double>(i) * interval_ns_);
  }

  void Start(std::uint64_t i, std::int64_t now_mono) {
    ++stats_.started;
    stats_.lag_ns.push_back(now_mono - Due(i));
    if (inflight_ >= static_cast<std::uint64_t>(o_.max_inflight)) {
      ++stats_.skipped;
      return;
    }
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ++stats_.connect_errors;
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const int stamping = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &stamping, sizeof(stamping));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(base_ + static_cast<std::uint32_t>(i % o_.sources));
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
      ++stats_.connect_errors;
      close(fd);
      return;
    }
    if (static_cast<std::size_t>(fd) >= conns_.size()) conns_.resize(fd + 1024);
    Conn& c = conns_[static_cast<std::size_t>(fd)];
    c = Conn{};
    c.start_ns = NowNs(CLOCK_REALTIME);
    c.deadline_ns = now_mono + 1'000'000LL * o_.timeout_ms;
    const int rc = connect(fd, reinterpret_cast<sockaddr*>(&server_), sizeof(server_));
    if (rc != 0 && errno != EINPROGRESS) {
      errno == ECONNREFUSED ? ++stats_.refused : ++stats_.connect_errors;
      c.state = Conn::kFree;
      close(fd);
      return;
    }
    c.state = Conn::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    ++inflight_;
    order_.push_back({fd, c.deadline_ns, c.start_ns});
  }

  void OnEvent(const epoll_event& ev) {
    const int fd = ev.data.fd;
    Conn& c = conns_[static_cast<std::size_t>(fd)];
    if (c.state == Conn::kConnecting) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0 || (ev.events & EPOLLERR) != 0) {
        err == ECONNREFUSED ? ++stats_.refused : ++stats_.connect_errors;
        Close(fd);
        return;
      }
      if ((ev.events & EPOLLOUT) == 0) return;
      // One small request: a single write fits the empty socket buffer.
      if (send(fd, request_.data(), request_.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request_.size())) {
        ++stats_.read_errors;
        Close(fd);
        return;
      }
      c.state = Conn::kReading;
    }
    if (c.state == Conn::kReading) Read(fd, c);
  }

  // Read drains the socket (edge-triggered) and completes the connection once the response is.
  void Read(int fd, Conn& c) {
    char buf[4096];
    alignas(cmsghdr) char control[256];
    while (true) {
      iovec iov{buf, sizeof(buf)};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      const ssize_t n = recvmsg(fd, &msg, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        ++stats_.read_errors;  // reset by the server, most likely
        Close(fd);
        return;
      }
      const std::int64_t user_now = NowNs(CLOCK_REALTIME);
      if (n == 0) {
        // End of stream: complete only if the response had no length (read to the end).
        if (c.body_left < 0 && c.status != 0)
          Finish(fd, c);
        else {
          ++stats_.read_errors;
          Close(fd);
        }
        return;
      }
      c.last_stamp_ns = user_now;
      c.stamp_from_kernel = false;
      for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm != nullptr; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_TIMESTAMPING) {
          scm_timestamping stamps{};
          std::memcpy(&stamps, CMSG_DATA(cm), sizeof(stamps));
          const std::int64_t k =
              std::int64_t{stamps.ts[0].tv_sec} * 1'000'000'000 + stamps.ts[0].tv_nsec;
          // Believe the kernel only if it is plausible (between connect and now).
          if (k >= c.start_ns && k <= user_now) {
            c.last_stamp_ns = k;
            c.stamp_from_kernel = true;
          }
        }
      }
      if (Consume(c, buf, static_cast<std::size_t>(n))) {
        Finish(fd, c);
        return;
      }
    }
  }

  // Consume adds response bytes; true once the whole response (head and Content-Length body) is in.
  static bool Consume(Conn& c, const char* data, std::size_t n) {
    if (c.body_left >= 0) {
      c.body_left -= static_cast<std::int64_t>(n);
      return c.body_left <= 0;
    }
    c.head.append(data, n);
    const std::size_t end = c.head.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    if (c.head.compare(0, 5, "HTTP/") == 0 && c.head.size() > 12) {
      c.status = std::atoi(c.head.c_str() + 9);
    }
    std::string lower = c.head.substr(0, end);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const std::size_t cl = lower.find("\r\ncontent-length:");
    if (cl == std::string::npos) return false;  // read to the end of the stream
    const std::int64_t length = std::atoll(lower.c_str() + cl + 17);
    c.body_left = length - static_cast<std::int64_t>(c.head.size() - (end + 4));
    c.head.clear();
    return c.body_left <= 0;
  }

  void Finish(int fd, Conn& c) {
    stats_.latency_ns.push_back(c.last_stamp_ns - c.start_ns);
    if (c.stamp_from_kernel) ++stats_.kernel_stamps;
    if (c.status >= 200 && c.status < 300) {
      ++stats_.ok;
    } else {
      ++stats_.non2xx;
      ++stats_.non2xx_codes[c.status];
    }
    Close(fd);
  }

  void Close(int fd) {
    Conn& c = conns_[static_cast<std::size_t>(fd)];
    if (c.state != Conn::kFree) --inflight_;
    c.state = Conn::kFree;
    c.head = std::string();
    close(fd);  // also leaves the epoll set
  }

  void ExpireTimeouts() {
    const std::int64_t now = NowNs(CLOCK_MONOTONIC);
    while (!order_.empty()) {
      const Pending& p = order_.front();
      const Conn& c = conns_[static_cast<std::size_t>(p.fd)];
      // Stale entry: the connection finished (and the fd may have been reused since).
      if (c.state == Conn::kFree || c.start_ns != p.start_ns) {
        order_.pop_front();
        continue;
      }
      if (p.deadline_ns > now) break;
      ++stats_.timeouts;
      Close(p.fd);
      order_.pop_front();
    }
  }

  struct Pending {
    int fd;
    std::int64_t deadline_ns;
    std::int64_t start_ns;  // tells a reused fd from the one this entry was made for
  };

  const Options& o_;
  const int index_;
  const std::int64_t t0_mono_;
  const std::string request_;
  std::uint64_t total_ = 0;
  double interval_ns_ = 0;
  sockaddr_in server_{};
  std::uint32_t base_ = 0;
  int epoll_ = -1;
  std::uint64_t inflight_ = 0;
  std::vector<Conn> conns_;
  std::deque<Pending> order_;  // by start time, so by deadline
  Stats stats_;
};

double Percentile(std::vector<std::int64_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;  // microseconds
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  prctl(PR_SET_TIMERSLACK, 1UL);  // wake up on time for the schedule (default slack is 50 us)

  std::string request = o.method + " " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" +
                        std::to_string(o.port) + "\r\nConnection: close\r\n";
  for (const std::string& h : o.headers) request += h + "\r\n";
  if (!o.body.empty()) request += "Content-Length: " + std::to_string(o.body.size()) + "\r\n";
  request += "\r\n" + o.body;

  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const std::int64_t t0 = NowNs(CLOCK_MONOTONIC) + 20'000'000;  // threads start 20 ms from now
  std::vector<Worker> workers;
  workers.reserve(static_cast<std::size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) workers.emplace_back(o, t, t0, request);
  std::vector<std::thread> threads;
  for (Worker& w : workers) threads.emplace_back([&w] { w.Run(); });
  for (std::thread& t : threads) t.join();
  const double wall_s = static_cast<double>(NowNs(CLOCK_MONOTONIC) - t0) / 1e9;
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  const auto cpu_us = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
  };

  Stats all;
  for (Worker& w : workers) all.Merge(w.stats());
  const std::uint64_t errors = all.Errors();
  const double cpu_per = (cpu_us(after) - cpu_us(before)) /
                         static_cast<double>(std::max<std::uint64_t>(all.started, 1));
  const double p50 = Percentile(all.latency_ns, 50), p90 = Percentile(all.latency_ns, 90),
               p99 = Percentile(all.latency_ns, 99), p999 = Percentile(all.latency_ns, 99.9),
               max = all.latency_ns.empty() ? 0
                                            : static_cast<double>(*std::max_element(
                                                  all.latency_ns.begin(), all.latency_ns.end())) /
                                                  1000.0;
  const double lag50 = Percentile(all.lag_ns, 50), lag99 = Percentile(all.lag_ns, 99),
               lagmax = all.lag_ns.empty() ? 0
                                           : static_cast<double>(*std::max_element(
                                                 all.lag_ns.begin(), all.lag_ns.end())) /
                                                 1000.0;

  std::printf(
      "storm: %s %s on %s:%d, %.0f new connections/s for %.2f s from %d source address(es), "
      "%d thread(s), wall %.2f s\n",
      o.method.c_str(), o.path.c_str(), o.host.c_str(), o.port, o.rate, o.duration, o.sources,
      o.threads, wall_s);
  std::printf("  connections %" PRIu64 ", 2xx %" PRIu64 ", errors %" PRIu64 " (connect %" PRIu64
              ", refused %" PRIu64 ", timeout %" PRIu64 ", read %" PRIu64 ", non-2xx %" PRIu64
              ", skipped %" PRIu64 "; non-2xx statuses %s)\n",
              all.started, all.ok, errors, all.connect_errors, all.refused, all.timeouts,
              all.read_errors, all.non2xx, all.skipped, all.Non2xxCodes().c_str());
  std::printf(
      "  latency connect->last byte (ms): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f"
      "  (kernel timestamps %" PRIu64 "/%zu)\n",
      p50 / 1e3, p90 / 1e3, p99 / 1e3, p999 / 1e3, max / 1e3, all.kernel_stamps,
      all.latency_ns.size());
  std::printf(
      "  generator: start lag p50 %.1f us, p99 %.1f us, max %.1f us; CPU %.1f us per "
      "connection\n",
      lag50, lag99, lagmax, cpu_per);
  std::printf("RESULT count=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64 " connect=%" PRIu64
              " refused=%" PRIu64 " timeout=%" PRIu64 " read=%" PRIu64 " non2xx=%" PRIu64
              " skipped=%" PRIu64
              " p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f lag_p99_us=%.1f"
              " lag_max_us=%.1f cpu_us_per_conn=%.1f kernel_stamps=%" PRIu64 " codes=%s\n",
              all.started, all.ok, errors, all.connect_errors, all.refused, all.timeouts,
              all.read_errors, all.non2xx, all.skipped, p50, p90, p99, p999, max, lag99, lagmax,
              cpu_per, all.kernel_stamps, all.Non2xxCodes().c_str());
  return 0;
}
