// JSON views of the service's state: the key listing, /v1/status and the health checks.
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "api/routes/app_context.h"
#include "crypto/key_ring.h"

namespace seedwell {

// KeysToJson renders {"keys": [{kid, alg, public_key, state, created_at}...]} (JWKS-like).
nlohmann::json KeysToJson(const std::vector<PublicKeyInfo>& keys);

// SourceToJson renders one entropy source as /v1/status and the source routes show it: name,
// kind, state, bytes_delivered, failures, health_test_failures {rct, apt, startup},
// permanent_failures, resets and last_failure (null if none).
nlohmann::json SourceToJson(const SourceStatus& source);

// ClusterToJson renders the cluster as this replica sees it: {"replica_id", "live_replicas",
// "stale", "replicas": [{id, host, version, key_id, started_at, last_heartbeat, live}...]}.
nlohmann::json ClusterToJson(const ClusterView& view);

// StatusToJson renders /v1/status: version, uptime, readiness, sources, DRBG, store, active key,
// and the cluster (when the context has a Membership).
nlohmann::json StatusToJson(AppContext& ctx);

// ReadinessChecks renders {"drbg": bool, "store": bool, "keys": bool}; ready when all are true.
nlohmann::json ReadinessChecks(AppContext& ctx);

}  // namespace seedwell
