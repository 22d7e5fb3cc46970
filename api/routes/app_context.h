// AppContext: the parts of a running `seedwell serve` that routes share. main owns every part;
// routes hold references for the life of the listeners.
#pragma once

#include <chrono>
#include <string>

#include "cli/serve_config.h"
#include "crypto/key_ring.h"
#include "service/address_index.h"
#include "service/credentials.h"
#include "service/dispenser.h"
#include "service/entropy_service.h"
#include "service/metrics.h"
#include "service/registry.h"
#include "service/store/store.h"

namespace seedwell {

class EgdSockets;
class ServeMetrics;

struct AppContext {
  const ServeConfig& config;
  Store& store;
  Registry& registry;
  AddressIndex& addresses;  // source address -> instance, for guest and EGD TCP callers
  KeyRing& keys;
  EntropyService& entropy;
  Dispenser& dispenser;  // every transport draws instance entropy through it
  MetricsRegistry& metrics;
  ServeMetrics& serve_metrics;
  const AdminCredential& admin;
  std::string public_url;  // guest-facing base URL, known once the guest listener is bound
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  EgdSockets* egd_sockets = nullptr;  // per-instance EGD sockets; null without --egd-socket-dir
};

// kVersion is seedwell's version string, reported by --version and /v1/status.
inline constexpr const char* kVersion = "0.1.0";

}  // namespace seedwell
