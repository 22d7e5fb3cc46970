// PgConnection and PgResult: RAII owners of a libpq connection and a query result, the mapping of
// PostgreSQL errors to Result codes, and parameterised queries. Only the PostgreSQL store's files
// include this (with libpq-fe.h, which appears nowhere else).
//
// Error mapping (store.h): SQLSTATE 23505 (unique violation) is kAlreadyExists; a lost or
// refused connection, class 08 (connection exception), 53 (insufficient resources), 57 (operator
// intervention: shutdown, statement timeout), 40001/40P01 (serialisation failure, deadlock) and
// 55P03 (lock not available) are kUnavailable, since retrying may help; everything else is
// kInternal. Messages carry PostgreSQL's primary message, never parameter values.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell::pg {

// PgParam is one query parameter: text, or binary bytes (bytea), or NULL.
struct PgParam {
  std::optional<std::string> value;  // nullopt is SQL NULL
  bool binary = false;

  static PgParam Text(std::string_view v) { return {std::string(v), false}; }
  static PgParam Int(std::int64_t v) { return {std::to_string(v), false}; }
  static PgParam Bytes(const std::uint8_t* data, std::size_t size) {
    return {std::string(reinterpret_cast<const char*>(data), size), true};
  }
  static PgParam Null() { return {std::nullopt, false}; }
};

// PgResult owns a PGresult; rows are read in text format.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}
  int Rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string Text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
  }
  // Int parses a bigint column; a malformed value reads as 0 (columns are typed by the schema).
  std::int64_t Int(int row, int column) const;
  // get returns the libpq result (null when libpq ran out of memory or lost the connection).
  const PGresult* get() const { return result_.get(); }
  // Affected returns the number of rows an INSERT, UPDATE or DELETE touched.
  std::int64_t Affected() const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// ConnectOptions names the database: a postgresql:// URL (or key=value conninfo) and the password
// kept apart from it, in wiped memory.
struct ConnectOptions {
  std::string url;
  std::shared_ptr<const SecretBuffer> password;  // may be null: no password (trust, peer, .pgpass)
  int connect_timeout_s = 5;
  int statement_timeout_ms = 5000;
};

// PgConnection owns one connection.
class PgConnection {
 public:
  // Connect opens a connection; kUnavailable if the server cannot be reached or is starting or
  // stopping, kPermissionDenied for a failed authentication, kInvalidArgument for a malformed URL.
  static Result<std::unique_ptr<PgConnection>> Connect(const ConnectOptions& options);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Exec runs |sql| with |params| ($1, $2, ...) and returns its result, or the mapped error
  // prefixed with |what|. Statements that return no rows give an empty result.
  Result<PgResult> Exec(std::string_view what, const char* sql,
                        const std::vector<PgParam>& params = {});

  // ExecScript runs |sql|, which may hold several statements and takes no parameters (schema
  // migrations); errors as Exec.
  Result<void> ExecScript(std::string_view what, const char* sql);

  // Healthy reports whether the connection is usable: not broken and, while idle, not being
  // closed by the server (a shutdown or termination leaves an unread message on the socket,
  // found here without waiting). Only for connections that do not LISTEN.
  bool Healthy();

  // raw returns the libpq handle (for LISTEN: its socket and notifications).
  PGconn* raw() const { return conn_; }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

// ErrorFromResult maps a failed |result| on |conn| (null result: the connection failed) to an
// Error as described at the top of this file.
Error ErrorFromResult(PGconn* conn, const PGresult* result, std::string_view what);

}  // namespace seedwell::pg
