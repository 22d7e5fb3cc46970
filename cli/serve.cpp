#include "cli/serve.h"
#include "seedwell/version.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "api/http/http_server.h"
#include "api/routes/admin_routes.h"
#include "api/routes/app_context.h"
#include "api/routes/config_drive_routes.h"
#include "api/routes/firmware_seed_routes.h"
#include "api/routes/guest_routes.h"
#include "api/routes/health_routes.h"
#include "api/routes/serve_metrics.h"
#include "api/routes/source_routes.h"
#include "cli/descriptor_budget.h"
#include "cli/egd_service.h"
#include "cli/entropy_flags.h"
#include "cli/host_rng_config.h"
#include "cli/key_ring_setup.h"
#include "cli/replica_identity.h"
#include "cli/state_dir.h"
#include "cli/store_setup.h"
#include "crypto/key_ring.h"
#include "crypto/self_test.h"
#include "service/dispenser.h"
#include "service/key_ring_refresher.h"
#include "service/membership.h"
#include "service/rate_limiter.h"
#include "service/vm_fork_watcher.h"

namespace seedwell {
namespace {

std::int64_t NowUnixMs() { return static_cast<std::int64_t>(SystemUnixMillis()); }

// ServeEntropyOptions maps serve's settings to EntropyOptions: the sources shared with the
// offline commands (EntropyOptionsFrom), then what only serve has (required sources, the upstream
// EGD source, DRBG reseeding).
EntropyOptions ServeEntropyOptions(const ServeConfig& c) {
  EntropyOptions o = EntropyOptionsFrom(EntropyFlags{
      .sources = c.sources, .hwrng_path = c.hwrng_path, .allow_kernel_only = c.allow_kernel_only});
  o.policy.required_sources = c.require_sources;
  if (SourceListed(c.sources, EgdSource::kSourceName)) {
    o.sources.upstream_egd = c.upstream_egd.address;
  }
  o.sources.upstream_egd_timeout = std::chrono::milliseconds(c.upstream_egd.timeout_ms);
  o.sources.upstream_egd_min_entropy = c.upstream_egd.min_entropy;
  o.policy.allow_upstream_only = c.upstream_egd.allow_upstream_only;
  o.drbg.reseed_interval = std::chrono::seconds(c.reseed_interval_s);
  o.drbg.reseed_bytes = c.reseed_bytes;
  o.drbg.fail_closed_grace = std::chrono::seconds(c.fail_closed_grace_s);
  return o;
}

// HttpOptionsFrom returns the HTTP settings of one listener capped at |max_connections| (fitted to
// the open-file limit: cli/descriptor_budget.h).
HttpServerOptions HttpOptionsFrom(const ServeConfig& c, int max_connections) {
  HttpServerOptions o;
  o.worker_threads = static_cast<std::size_t>(c.http_threads);
  o.max_connections = static_cast<std::size_t>(max_connections);
  o.max_lingering = LingeringFor(max_connections);
  o.max_connections_per_peer = static_cast<std::size_t>(c.max_connections_per_peer);
  o.request_deadline = std::chrono::milliseconds(c.request_timeout_ms);
  o.stop_grace = std::chrono::milliseconds(c.shutdown_timeout_ms);
  return o;
}

std::string UrlFor(const std::string& scheme, const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// BlockStopSignals blocks SIGINT and SIGTERM in this thread and every thread it starts later, so
// that WaitForStopSignal receives them; SIGPIPE is ignored (a client hanging up is not fatal).
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // NOLINT(cert-err33-c): the previous handler is of no interest
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

// UsageFlusher writes the Dispenser's summed usage to the store once a second, and once more when
// stopped, so guest requests never wait for a database write.
class UsageFlusher {
 public:
  explicit UsageFlusher(Dispenser& dispenser)
      : dispenser_(dispenser), thread_([this] { Loop(); }) {}
  ~UsageFlusher() { Stop(); }
  UsageFlusher(const UsageFlusher&) = delete;
  UsageFlusher& operator=(const UsageFlusher&) = delete;

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) {
      lock.unlock();
      dispenser_.FlushUsage();
      lock.lock();
    }
    lock.unlock();
    dispenser_.FlushUsage();
  }

  Dispenser& dispenser_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

bool RunSelfTests() {
  const auto results = RunCryptoSelfTests();
  for (const auto& r : results) {
    if (!r.passed)
      spdlog::critical("event=self_test_failed test={} detail=\"{}\"", r.name, r.detail);
  }
  if (!AllSelfTestsPassed(results)) return false;
  spdlog::info("event=self_tests_passed count={}", results.size());
  return true;
}

}  // namespace

int RunServe(ServeConfig config) {
  const sigset_t stop_signals = BlockStopSignals();
  try {
    if (auto ok = FinishServeConfig(config); !ok) {
      spdlog::critical("event=config_error message=\"{}\"", ok.error().message);
      return 1;
    }
    const std::size_t open_file_limit = RaiseOpenFileLimit();
    if (auto fit = FitConnectionCaps(config, open_file_limit); !fit) {
      spdlog::critical("event=config_error message=\"{}\"", fit.error().message);
      return 1;
    }
    spdlog::info(
        "event=descriptors open_file_limit={} guest_max_connections={} admin_max_connections={} "
        "egd_max_connections={} needed={}",
        open_file_limit, config.max_connections, config.admin_max_connections,
        config.egd.max_connections, DescriptorsFor(config));
    if (!RunSelfTests()) return 1;
    PrepareStateDir(config.state_dir);
    const AdminCredential admin = LoadAdminCredential(config);
    const std::optional<AdminCredential> vendordata = LoadVendordataCredential(config);
    const SecretArray<kTokenKeyBytes> token_key = LoadTokenKey(config.state_dir);

    OpenedStore opened = OpenServeStore(config);
    Store* store = opened.store.get();
    const std::unique_ptr<KeyRing> keys = OpenServeKeyRing(config, opened.postgres);
    Registry registry(*store, NowUnixMs);
    // Replicas: another replica's key rotation is picked up at once through the change feed, and
    // by polling should a notice be missed.
    std::unique_ptr<KeyRingRefresher> key_refresher;
    if (opened.postgres != nullptr) key_refresher = std::make_unique<KeyRingRefresher>(*keys);
    // Other replicas' writes reach this registry's cache and subscribers within milliseconds.
    auto change_feed = opened.postgres != nullptr
                           ? StartChangeFeed(*opened.postgres, registry,
                                             [&key_refresher] { key_refresher->Poke(); })
                           : nullptr;
    AddressIndex addresses(registry, NowUnixMs);

    auto entropy = EntropyService::Create(ServeEntropyOptions(config), SteadyClock::Instance());
    if (!entropy) throw std::runtime_error("entropy sources: " + entropy.error().message);
    (void)(*entropy)->Seed();  // a failure leaves it failed closed; the reseed thread retries
    (*entropy)->StartReseeding();
    // In a VM that may be snapshotted or cloned: reseed on every VM generation change.
    std::unique_ptr<VmForkWatcher> vm_fork_watcher;
    if (auto uevents = UeventListener::Open(); uevents) {
      vm_fork_watcher = VmForkWatcher::Start(std::move(*uevents), (*entropy)->drbg());
    } else {
      spdlog::warn(
          "event=vmgenid_watch_unavailable reason=\"{}\" note=\"VM clones and snapshot "
          "restores will not trigger a reseed\"",
          uevents.error().message);
    }

    MetricsRegistry metrics;
    ServeMetrics serve_metrics(metrics);
    RateLimiter limiter(SteadyClock::Instance(),
                        {config.global_rate_bytes_per_second, config.global_burst_bytes});
    Dispenser dispenser(**entropy, registry, limiter,
                        {config.rate_bytes_per_second, config.rate_burst_bytes},
                        &serve_metrics.bytes_issued(), &serve_metrics.rate_limit_refusals(),
                        config.rate_min_charge_bytes, Dispenser::kDefaultMaxPendingUsage,
                        &serve_metrics.usage_dropped());
    UsageFlusher flusher(dispenser);
    // This replica in the cluster: heartbeats, the live set, and its share of every budget.
    auto membership = Membership::Start(*store, limiter,
                                        ReplicaRecord{.id = config.replica_id,
                                                      .host = HostName(),
                                                      .version = kVersion,
                                                      .key_id = "",
                                                      .started_at_ms = NowUnixMs(),
                                                      .last_heartbeat_ms = 0,
                                                      .live = false},
                                        [ring = keys.get()] {
                                          const auto key = ring->ActiveKey();
                                          return key ? key->kid() : std::string();
                                        });
    spdlog::info("event=replica id={} live_replicas={}", config.replica_id,
                 membership->View().live);
    AppContext ctx{.guest_options = config.guest,
                   .store = *store,
                   .registry = registry,
                   .addresses = addresses,
                   .keys = *keys,
                   .entropy = **entropy,
                   .dispenser = dispenser,
                   .metrics = metrics,
                   .serve_metrics = serve_metrics,
                   .admin = admin,
                   .token_key = token_key,
                   .vendordata = vendordata ? &*vendordata : nullptr,
                   .public_url = "",
                   .egd_socket_dir = config.egd.socket_dir,
                   .egd_node = config.egd.node,
                   .membership = membership.get()};

    HttpServerOptions guest_options = HttpOptionsFrom(config, config.max_connections);
    guest_options.event_loops = static_cast<std::size_t>(config.event_loops);
    guest_options.finish_window = std::chrono::microseconds(config.guest.batch_window_us);
    HttpServer guest(guest_options);
    HttpServerOptions admin_options = HttpOptionsFrom(config, config.admin_max_connections);
    admin_options.max_body_bytes = kAdminBodyLimit;
    admin_options.tls_cert_file = config.admin_tls_cert;
    admin_options.tls_key_file = config.admin_tls_key;
    HttpServer admin_server(admin_options);

    const HostPort guest_addr = *ParseHostPort(config.guest_listen);
    const HostPort admin_addr = *ParseHostPort(config.admin_listen);
    auto guest_port = guest.Listen(guest_addr.host, guest_addr.port);
    if (!guest_port) throw std::runtime_error("guest listener: " + guest_port.error().message);
    auto admin_port = admin_server.Listen(admin_addr.host, admin_addr.port);
    if (!admin_port) throw std::runtime_error("admin listener: " + admin_port.error().message);
    const std::string guest_url = UrlFor("http", guest_addr.host, *guest_port);
    const std::string admin_url =
        UrlFor(config.admin_tls_cert.empty() ? "http" : "https", admin_addr.host, *admin_port);
    ctx.public_url = config.public_url.empty() ? guest_url : config.public_url;

    RegisterHealthRoutes(guest, ctx);
    RegisterHealthRoutes(admin_server, ctx);
    RegisterAdminRoutes(admin_server, ctx);
    RegisterConfigDriveRoutes(admin_server, ctx);
    RegisterSourceRoutes(admin_server, ctx);
    RegisterFirmwareSeedRoutes(admin_server, ctx);
    const auto guest_api = GuestApi::Create(ctx);  // owns identity, Issuer, batcher
    RegisterGuestRoutes(guest, *guest_api);
    guest.SetRequestObserver(
        [&serve_metrics](const RequestRecord& r) { serve_metrics.ObserveRequest("guest", r); });
    admin_server.SetRequestObserver(
        [&serve_metrics](const RequestRecord& r) { serve_metrics.ObserveRequest("admin", r); });

    auto egd = EgdService::Start(ctx, config.egd);  // before the admin listener runs
    if (!egd) throw std::runtime_error("egd: " + egd.error().message);
    auto host_rng = StartHostRng(config.host_rng, **entropy, serve_metrics);
    if (!host_rng) throw std::runtime_error("host rng: " + host_rng.error().message);
    std::thread guest_thread([&guest] { guest.Run(); });
    std::thread admin_thread([&admin_server] { admin_server.Run(); });

    for (const auto& s : (*entropy)->Sources()) {
      spdlog::info("event=source name={} kind={} state={} bytes_per_second={:.0f}", s.name,
                   SourceKindName(s.kind), SourceStateName(s.state), s.read_rate_bytes_per_second);
    }
    spdlog::info("event=signing_key kid={}", keys->ActiveKey()->kid());
    spdlog::info("guest listener on {} (public url {}, {} event loops)", guest_url, ctx.public_url,
                 guest.event_loops());
    spdlog::info("admin listener on {}", admin_url);
    spdlog::info("seedwell serving: version={} drbg_ready={}", kVersion, (*entropy)->Ready());

    const int sig = WaitForStopSignal(stop_signals);
    spdlog::info("event=shutdown signal={} note=\"finishing in-flight requests\"", sig);
    guest.Stop();
    admin_server.Stop();
    guest_thread.join();
    admin_thread.join();
    if (*egd) (*egd)->Stop();
    if (*host_rng) (*host_rng)->Stop();
    membership->Stop();  // leaves the live set at once: the others take over its share
    flusher.Stop();
    change_feed.reset();
    key_refresher.reset();
    vm_fork_watcher.reset();
    (*entropy)->Stop();
    spdlog::info("event=stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("event=startup_failed error=\"{}\"", e.what());
    return 1;
  }
}

}  // namespace seedwell
