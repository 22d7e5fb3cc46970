#include "service/store/postgres_row.h"

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/bounded_json.h"

namespace seedwell::pg {
namespace {

PgParam Clamped(std::uint64_t v) {
  return PgParam::Int(static_cast<std::int64_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max())));
}

}  // namespace

std::vector<PgParam> InstanceParams(const Instance& i) {
  return {
      PgParam::Text(i.id),
      PgParam::Text(i.project_id),
      PgParam::Text(i.name),
      PgParam::Text(i.hostname),
      PgParam::Text(i.availability_zone),
      PgParam::Text(nlohmann::json(i.metadata).dump()),
      PgParam::Text(nlohmann::json(i.allowed_cidrs).dump()),
      i.rate_limit ? Clamped(i.rate_limit->bytes_per_second) : PgParam::Null(),
      i.rate_limit ? Clamped(i.rate_limit->burst_bytes) : PgParam::Null(),
      i.sealing_public_key ? PgParam::Text(*i.sealing_public_key) : PgParam::Null(),
      PgParam::Text(InstanceStateName(i.state)),
      PgParam::Int(i.created_at_ms),
      PgParam::Int(i.updated_at_ms),
      i.last_seen_at_ms ? PgParam::Int(*i.last_seen_at_ms) : PgParam::Null(),
      Clamped(i.bytes_issued),
      i.host ? PgParam::Text(*i.host) : PgParam::Null(),
  };
}

Result<Instance> ReadInstance(const PgResult& r, int row) {
  Instance out;
  out.id = r.Text(row, 0);
  out.project_id = r.Text(row, 1);
  out.name = r.Text(row, 2);
  out.hostname = r.Text(row, 3);
  out.availability_zone = r.Text(row, 4);
  // Rows are flat: depth 1 (crypto/bounded_json.h), so a corrupt row cannot nest deep.
  const auto metadata = ParseBoundedJson(r.Text(row, 5), 1).value_or(nlohmann::json());
  const auto cidrs = ParseBoundedJson(r.Text(row, 6), 1).value_or(nlohmann::json());
  auto state = ParseInstanceState(r.Text(row, 10));
  if (!metadata.is_object() || !cidrs.is_array() || !state ||
      !std::all_of(metadata.begin(), metadata.end(), [](const auto& v) { return v.is_string(); }) ||
      !std::all_of(cidrs.begin(), cidrs.end(), [](const auto& v) { return v.is_string(); })) {
    return Fail(ErrorCode::kInternal, "database: corrupt row for instance " + out.id);
  }
  out.metadata = metadata.get<std::map<std::string, std::string>>();
  out.allowed_cidrs = cidrs.get<std::vector<std::string>>();
  if (!r.IsNull(row, 7)) {
    out.rate_limit = RateLimit{static_cast<std::uint64_t>(r.Int(row, 7)),
                               static_cast<std::uint64_t>(r.Int(row, 8))};
  }
  if (!r.IsNull(row, 9)) out.sealing_public_key = r.Text(row, 9);
  out.state = *state;
  out.created_at_ms = r.Int(row, 11);
  out.updated_at_ms = r.Int(row, 12);
  if (!r.IsNull(row, 13)) out.last_seen_at_ms = r.Int(row, 13);
  out.bytes_issued = static_cast<std::uint64_t>(r.Int(row, 14));
  if (!r.IsNull(row, 15)) out.host = r.Text(row, 15);
  return out;
}

}  // namespace seedwell::pg
