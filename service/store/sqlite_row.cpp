#include "service/store/sqlite_row.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "crypto/bounded_json.h"
#include "service/store/list_cursor.h"

namespace seedwell::sqlite {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

}  // namespace

Error SqlError(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  ErrorCode code = ErrorCode::kInternal;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kUnavailable;
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
    code = ErrorCode::kAlreadyExists;
  }
  return Error{code, std::string(what) + ": " + sqlite3_errmsg(db)};
}

std::int64_t Clamp(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(v, kInt64Max));
}

void BindMutable(Binder& b, const Instance& instance) {
  b.Text(1, instance.id);
  b.Text(3, instance.name);
  b.Text(4, instance.hostname);
  b.Text(5, instance.availability_zone);
  b.Text(6, nlohmann::json(instance.metadata).dump());
  b.Text(7, nlohmann::json(instance.allowed_cidrs).dump());
  if (instance.rate_limit) {
    b.Int(8, Clamp(instance.rate_limit->bytes_per_second));
    b.Int(9, Clamp(instance.rate_limit->burst_bytes));
  }
  if (instance.sealing_public_key) b.Text(10, *instance.sealing_public_key);
  b.Text(11, InstanceStateName(instance.state));
  b.Int(13, instance.updated_at_ms);
  if (instance.host) b.Text(17, *instance.host);
}

void BindInstance(Binder& b, const Instance& instance) {
  BindMutable(b, instance);
  b.Text(2, instance.project_id);
  b.Int(12, instance.created_at_ms);
  if (instance.last_seen_at_ms) b.Int(14, *instance.last_seen_at_ms);
  b.Int(15, Clamp(instance.bytes_issued));
}

Result<Instance> ReadInstance(Binder& b) {
  Instance out;
  out.id = b.ColumnText(0);
  out.project_id = b.ColumnText(1);
  out.name = b.ColumnText(2);
  out.hostname = b.ColumnText(3);
  out.availability_zone = b.ColumnText(4);
  // Rows hold flat documents (an object of strings, an array of strings); the bound keeps a
  // corrupted or hand-edited row from building a deep tree before the shape check refuses it.
  const auto metadata = ParseBoundedJson(b.ColumnText(5), 1).value_or(nlohmann::json());
  const auto cidrs = ParseBoundedJson(b.ColumnText(6), 1).value_or(nlohmann::json());
  auto state = ParseInstanceState(b.ColumnText(10));
  if (!metadata.is_object() || !cidrs.is_array() || !state ||
      !std::all_of(metadata.begin(), metadata.end(), [](const auto& v) { return v.is_string(); }) ||
      !std::all_of(cidrs.begin(), cidrs.end(), [](const auto& v) { return v.is_string(); })) {
    return Fail(ErrorCode::kInternal, "database: corrupt row for instance " + out.id);
  }
  out.metadata = metadata.get<std::map<std::string, std::string>>();
  out.allowed_cidrs = cidrs.get<std::vector<std::string>>();
  if (!b.IsNull(7)) {
    out.rate_limit = RateLimit{static_cast<std::uint64_t>(b.ColumnInt(7)),
                               static_cast<std::uint64_t>(b.ColumnInt(8))};
  }
  if (!b.IsNull(9)) out.sealing_public_key = b.ColumnText(9);
  out.state = *state;
  out.created_at_ms = b.ColumnInt(11);
  out.updated_at_ms = b.ColumnInt(12);
  if (!b.IsNull(13)) out.last_seen_at_ms = b.ColumnInt(13);
  out.bytes_issued = static_cast<std::uint64_t>(b.ColumnInt(14));
  if (!b.IsNull(15)) out.host = b.ColumnText(15);
  return out;
}

std::string EncodeCursor(std::string_view id) { return EncodeListCursor(id); }

Result<std::string> DecodeCursor(std::string_view cursor) { return DecodeListCursor(cursor); }

}  // namespace seedwell::sqlite
