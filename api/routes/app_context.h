// AppContext: the parts of a running `seedwell serve` that routes share. cli/serve owns every
// part and fills the options; routes hold references for the life of the listeners.
#pragma once

#include <chrono>
#include <string>

#include "api/routes/guest_options.h"
#include "crypto/key_ring.h"
#include "seedwell/version.h"
#include "service/address_index.h"
#include "service/credentials.h"
#include "service/dispenser.h"
#include "service/entropy_service.h"
#include "service/membership.h"
#include "service/metrics.h"
#include "service/registry.h"
#include "service/store/store.h"

namespace seedwell {

class ServeMetrics;

struct AppContext {
  const GuestOptions& guest_options;
  Store& store;
  Registry& registry;
  AddressIndex& addresses;  // source address -> instance, for guest and EGD TCP callers
  KeyRing& keys;
  EntropyService& entropy;
  Dispenser& dispenser;  // every transport draws instance entropy through it
  MetricsRegistry& metrics;
  ServeMetrics& serve_metrics;
  const AdminCredential& admin;
  // The key instance tokens handed to Nova's vendordata calls are derived from (STATE/token-key).
  const SecretArray<kTokenKeyBytes>& token_key;
  // The token Nova's vendordata client presents (kVendordata); null when none is configured, and
  // then only the admin token opens POST /v1/vendordata.
  const AdminCredential* vendordata = nullptr;
  std::string public_url;  // guest-facing base URL, known once the guest listener is bound
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string egd_socket_dir;  // where per-instance EGD sockets live; empty without any
  std::string egd_node;        // --node: only instances on this host have a socket; empty: all
  // This replica's view of the cluster (GET /v1/status, /metrics); null in tests without one.
  const Membership* membership = nullptr;
};

}  // namespace seedwell
