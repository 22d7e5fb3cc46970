#include "service/store/postgres_key_ring.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/sealed_signing_key.h"
#include "service/store/postgres_pool.h"

namespace seedwell {
namespace {

using pg::PgConnection;
using pg::PgParam;

constexpr const char* kLock = "SELECT pg_advisory_xact_lock($1::bigint)";
constexpr const char* kSelectRing =
    "SELECT kid, encode(public_key, 'hex'), state, created_at_ms, encode(sealed_key, 'hex') "
    "FROM signing_keys ORDER BY seq";
constexpr const char* kInsertKey =
    "INSERT INTO signing_keys (kid, public_key, state, created_at_ms, sealed_key) "
    "VALUES ($1, $2, $3, $4, $5)";
constexpr const char* kSelectState = "SELECT state FROM signing_keys WHERE kid = $1";
constexpr const char* kDemote =
    "UPDATE signing_keys SET state = 'verify_only' WHERE state = 'active'";
constexpr const char* kRetire =
    "UPDATE signing_keys SET state = 'retired', sealed_key = NULL WHERE kid = $1";
constexpr const char* kNotify = "SELECT pg_notify('seedwell_keys', $1)";

PgParam Bytes(std::span<const std::uint8_t> bytes) {
  return PgParam::Bytes(bytes.data(), bytes.size());
}

// InTransaction runs |body| between BEGIN and COMMIT on one connection of |pool|, rolling back if
// it fails. (A connection left inside a failed transaction is dropped by the pool.)
template <typename T>
Result<T> InTransaction(pg::PgPool& pool, const std::function<Result<T>(PgConnection&)>& body) {
  auto conn = pool.Acquire();
  SEEDWELL_RETURN_IF_ERROR(conn);
  PgConnection& c = **conn;
  SEEDWELL_TRY(c.Exec("key ring", "BEGIN"));
  Result<T> result = body(c);
  if (!result) {
    (void)c.Exec("key ring", "ROLLBACK");  // the error to report is |result|'s
    return result;
  }
  SEEDWELL_TRY(c.Exec("key ring commit", "COMMIT"));
  return result;
}

Result<void> Lock(PgConnection& c) {
  SEEDWELL_TRY(c.Exec("key ring lock", kLock, {PgParam::Int(kKeyRingLockKey)}));
  return {};
}

Result<void> Notify(PgConnection& c, const std::string& origin) {
  SEEDWELL_TRY(c.Exec("key ring notify", kNotify, {PgParam::Text(origin)}));
  return {};
}

}  // namespace

// Row is one key as written: its record and, unless retired, its sealed seed.
struct PostgresKeyRing::Row {
  KeyRecord record;
  std::optional<std::vector<std::uint8_t>> sealed;
};

PostgresKeyRing::PostgresKeyRing(const PostgresOptions& options,
                                 std::shared_ptr<const KeyEncryptionKey> kek, std::string origin)
    : pool_(std::make_unique<pg::PgPool>(
          pg::ConnectOptions{options.url, options.password, options.connect_timeout_s,
                             options.statement_timeout_ms},
          1)),
      kek_(std::move(kek)),
      origin_(std::move(origin)) {}

PostgresKeyRing::~PostgresKeyRing() = default;

Result<bool> PostgresKeyRing::StoreIfEmpty(const std::vector<Row>& rows) {
  return InTransaction<bool>(*pool_, [&](PgConnection& c) -> Result<bool> {
    SEEDWELL_TRY(Lock(c));
    auto count = c.Exec("key ring", "SELECT count(*) FROM signing_keys");
    SEEDWELL_RETURN_IF_ERROR(count);
    if (count->Int(0, 0) > 0) return false;
    for (const Row& row : rows) {
      const KeyRecord& r = row.record;
      SEEDWELL_TRY(
          c.Exec("key ring insert", kInsertKey,
                 {PgParam::Text(r.kid), Bytes(r.public_key), PgParam::Text(KeyStateName(r.state)),
                  PgParam::Int(static_cast<std::int64_t>(r.created_at_unix_ms)),
                  row.sealed ? Bytes(*row.sealed) : PgParam::Null()}));
    }
    SEEDWELL_TRY(Notify(c, origin_));
    return true;
  });
}

Result<bool> PostgresKeyRing::Import(const StoredRing& ring) {
  std::vector<Row> rows;
  for (const KeyRecord& r : ring.records) {
    Row row{r, std::nullopt};
    if (r.state != KeyState::kRetired) {
      const auto key = std::find_if(ring.keys.begin(), ring.keys.end(),
                                    [&r](const SigningKey& k) { return k.kid() == r.kid; });
      if (key == ring.keys.end()) {
        return Fail(ErrorCode::kInvalidArgument, "key ring lacks the secret of key " + r.kid);
      }
      row.sealed = SealSigningKey(*kek_, *key);
    }
    rows.push_back(std::move(row));
  }
  return StoreIfEmpty(rows);
}

Result<StoredRing> PostgresKeyRing::LoadOrCreate(const SigningKey& first, std::uint64_t now_ms) {
  const std::vector<Row> rows = {
      Row{KeyRecord{first.kid(), first.public_key(), KeyState::kActive, now_ms},
          SealSigningKey(*kek_, first)}};
  SEEDWELL_TRY(StoreIfEmpty(rows));
  return Load();
}

Result<StoredRing> PostgresKeyRing::Load() {
  auto conn = pool_->Acquire();
  SEEDWELL_RETURN_IF_ERROR(conn);
  auto result = (*conn)->Exec("key ring load", kSelectRing);
  SEEDWELL_RETURN_IF_ERROR(result);
  if (result->Rows() == 0) {
    return Fail(ErrorCode::kNotFound, "the database holds no signing key ring");
  }
  StoredRing ring;
  for (int i = 0; i < result->Rows(); ++i) {
    KeyRecord r;
    r.kid = result->Text(i, 0);
    const auto malformed = [&r](const std::string& why) {
      return Fail(ErrorCode::kInvalidArgument, "signing key " + r.kid + " in the database " + why);
    };
    if (!FromHexInto(result->Text(i, 1), r.public_key) || KeyIdFor(r.public_key) != r.kid) {
      return malformed("does not match its public key");
    }
    const auto state = ParseKeyState(result->Text(i, 2));
    if (!state) return malformed("has an unknown state");
    r.state = *state;
    r.created_at_unix_ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, result->Int(i, 3)));
    if (r.state != KeyState::kRetired) {
      auto sealed = FromHex(result->Text(i, 4));
      if (!sealed || result->IsNull(i, 4)) return malformed("has no sealed secret");
      auto key = OpenSealedSigningKey(*kek_, r.kid, *sealed);
      SEEDWELL_RETURN_IF_ERROR(key);
      ring.keys.push_back(std::move(*key));
    }
    ring.records.push_back(std::move(r));
  }
  return ring;
}

Result<void> PostgresKeyRing::AddActive(const SigningKey& key, std::uint64_t now_ms) {
  const std::vector<std::uint8_t> sealed = SealSigningKey(*kek_, key);
  return InTransaction<void>(*pool_, [&](PgConnection& c) -> Result<void> {
    SEEDWELL_TRY(Lock(c));
    SEEDWELL_TRY(c.Exec("key ring rotate", kDemote));
    SEEDWELL_TRY(c.Exec("key ring rotate", kInsertKey,
                        {PgParam::Text(key.kid()), Bytes(key.public_key()),
                         PgParam::Text(KeyStateName(KeyState::kActive)),
                         PgParam::Int(static_cast<std::int64_t>(now_ms)), Bytes(sealed)}));
    return Notify(c, origin_);
  });
}

Result<void> PostgresKeyRing::Retire(std::string_view kid) {
  return InTransaction<void>(*pool_, [&](PgConnection& c) -> Result<void> {
    SEEDWELL_TRY(Lock(c));
    auto state = c.Exec("key ring", kSelectState, {PgParam::Text(kid)});
    SEEDWELL_RETURN_IF_ERROR(state);
    if (state->Rows() == 0) return Fail(ErrorCode::kNotFound, "unknown key id");
    const std::string current = state->Text(0, 0);
    if (current == KeyStateName(KeyState::kRetired)) return {};
    if (current == KeyStateName(KeyState::kActive)) {
      return Fail(ErrorCode::kFailedPrecondition, "cannot retire the active key; rotate first");
    }
    SEEDWELL_TRY(c.Exec("key ring retire", kRetire, {PgParam::Text(kid)}));
    return Notify(c, origin_);
  });
}

}  // namespace seedwell
