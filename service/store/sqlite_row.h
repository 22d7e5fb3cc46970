// SQLite rows for SqliteStore: a statement binder, the mapping of SQLite result codes to errors,
// the instances table's row <-> Instance mapping, and the opaque list cursor. Only the SQLite store
// includes this (it is the one place sqlite3.h is used, with sqlite_migrations.cpp).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/result.h"
#include "service/instance.h"
#include "service/store/store.h"

namespace seedwell::sqlite {

// SqlError turns an SQLite result code into an Error: busy or locked is kUnavailable (retry), a
// primary-key or unique violation kAlreadyExists, anything else kInternal; the message is |what|
// and SQLite's own message for |db|.
Error SqlError(sqlite3* db, int rc, std::string_view what);

// Binder resets a cached statement when it goes out of scope, so it is ready for its next use.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Binder() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Binder(const Binder&) = delete;
  Binder& operator=(const Binder&) = delete;
  void Text(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Blob(int i, const TokenHash& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  int Step() { return sqlite3_step(stmt_); }
  std::string ColumnText(int i) {
    const auto* text = sqlite3_column_text(stmt_, i);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
  }
  bool IsNull(int i) { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::int64_t ColumnInt(int i) { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_;
};

// Clamp returns |v| as an SQLite integer, saturating at INT64_MAX.
std::int64_t Clamp(std::uint64_t v);

// BindMutable binds the parameters the update statement uses: ?1 (the id) and the mutable fields
// (?3 to ?11 and ?13).
void BindMutable(Binder& b, const Instance& instance);

// BindInstance binds every column of the insert statement but the token hash (?16).
void BindInstance(Binder& b, const Instance& instance);

// ReadInstance reads the current row (the columns of the instances SELECT, in order). kInternal
// if the row is corrupt (JSON columns or the state do not parse).
Result<Instance> ReadInstance(Binder& b);

// EncodeCursor returns the opaque list cursor that resumes after |id|.
std::string EncodeCursor(std::string_view id);

// DecodeCursor returns the id a cursor resumes after ("" for an empty cursor), or
// kInvalidArgument for a malformed one.
Result<std::string> DecodeCursor(std::string_view cursor);

}  // namespace seedwell::sqlite
