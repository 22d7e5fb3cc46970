#include "api/routes/status_json.h"
#include "seedwell/version.h"

#include <chrono>

#include "service/instance_json.h"

namespace seedwell {

nlohmann::json KeysToJson(const std::vector<PublicKeyInfo>& keys) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& key : keys) {
    list.push_back(
        {{"kid", key.kid},
         {"alg", key.alg},
         {"public_key", key.public_key_base64},
         {"state", KeyStateName(key.state)},
         {"created_at", FormatRfc3339(static_cast<std::int64_t>(key.created_at_unix_ms))}});
  }
  return {{"keys", list}};
}

nlohmann::json SourceToJson(const SourceStatus& s) {
  return {{"name", s.name},
          {"kind", SourceKindName(s.kind)},
          {"state", SourceStateName(s.state)},
          {"bytes_delivered", s.bytes_delivered},
          {"failures", s.failures},
          {"health_test_failures",
           {{"rct", s.rct_failures}, {"apt", s.apt_failures}, {"startup", s.startup_failures}}},
          {"permanent_failures", s.permanent_failures},
          {"resets", s.resets},
          {"last_failure",
           s.last_failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.last_failure)}};
}

nlohmann::json ReadinessChecks(AppContext& ctx) {
  return {{"drbg", ctx.entropy.Ready()},
          {"store", ctx.store.Ping().has_value()},
          {"keys", ctx.keys.ActiveKey() != nullptr}};
}

nlohmann::json ClusterToJson(const ClusterView& view) {
  nlohmann::json replicas = nlohmann::json::array();
  for (const auto& r : view.replicas) {
    replicas.push_back({{"id", r.id},
                        {"host", r.host},
                        {"version", r.version},
                        {"key_id", r.key_id},
                        {"started_at", FormatRfc3339(r.started_at_ms)},
                        {"last_heartbeat", FormatRfc3339(r.last_heartbeat_ms)},
                        {"live", r.live}});
  }
  return {{"replica_id", view.self_id},
          {"live_replicas", view.live},
          {"stale", view.stale},
          {"replicas", replicas}};
}

nlohmann::json StatusToJson(AppContext& ctx) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const auto now = std::chrono::steady_clock::now();
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : ctx.entropy.Sources()) sources.push_back(SourceToJson(s));
  const DrbgStats stats = ctx.entropy.Stats();
  nlohmann::json drbg = {{"ready", stats.ready},
                         {"generation", stats.generation},
                         {"reseeds", stats.reseeds},
                         {"reseed_failures", stats.reseed_failures},
                         {"bytes_generated", stats.bytes_generated}};
  drbg["seconds_since_reseed"] =
      stats.reseeds > 0
          ? nlohmann::json(std::chrono::duration<double>(now - stats.last_reseed).count())
          : nlohmann::json(nullptr);
  nlohmann::json store = {{"ok", ctx.store.Ping().has_value()}};
  store["instances"] = nlohmann::json::object();
  if (auto counts = ctx.registry.CountByState()) {
    store["instances"] = {{"active", counts->active}, {"revoked", counts->revoked}};
  }
  const auto checks = ReadinessChecks(ctx);
  const auto key = ctx.keys.ActiveKey();
  nlohmann::json status = {{"version", kVersion},
                           {"uptime_seconds", duration_cast<seconds>(now - ctx.started).count()},
                           {"ready", checks["drbg"] && checks["store"] && checks["keys"]},
                           {"sources", sources},
                           {"drbg", drbg},
                           {"store", store},
                           {"active_key_id", key ? key->kid() : ""}};
  if (ctx.membership != nullptr) status["cluster"] = ClusterToJson(ctx.membership->View());
  return status;
}

}  // namespace seedwell
