#include "service/store/postgres_connection.h"

#include <poll.h>

#include <charconv>
#include <cstring>

namespace seedwell::pg {
namespace {

// FirstLine returns libpq's message up to its first newline (libpq appends detail lines).
std::string FirstLine(const char* message) {
  std::string text = message != nullptr ? message : "";
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  return text.empty() ? "unknown error" : text;
}

ErrorCode CodeForState(std::string_view state) {
  if (state == "23505") return ErrorCode::kAlreadyExists;
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57") ||
      state == "40001" || state == "40P01" || state == "55P03") {
    return ErrorCode::kUnavailable;
  }
  return ErrorCode::kInternal;
}

}  // namespace

std::int64_t PgResult::Int(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::int64_t PgResult::Affected() const {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

Error ErrorFromResult(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  ErrorCode code = state != nullptr ? CodeForState(state) : ErrorCode::kInternal;
  if (PQstatus(conn) != CONNECTION_OK) code = ErrorCode::kUnavailable;
  std::string message(what);
  message.append(": ").append(primary != nullptr ? std::string(primary)
                                                 : FirstLine(PQerrorMessage(conn)));
  return Error{code, std::move(message)};
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const ConnectOptions& options) {
  const std::string timeout = std::to_string(options.connect_timeout_s);
  const std::string server_options =
      "-c statement_timeout=" + std::to_string(options.statement_timeout_ms);
  // The password goes to libpq as a C string; it lives in a wiped buffer until then.
  SecretBuffer password(options.password ? options.password->size() + 1 : 0);
  if (options.password) {
    std::memcpy(password.data(), options.password->data(), options.password->size());
  }
  std::vector<const char*> keys = {"dbname", "connect_timeout", "options", "application_name",
                                   "client_encoding"};
  std::vector<const char*> values = {options.url.c_str(), timeout.c_str(), server_options.c_str(),
                                     "seedwell", "UTF8"};
  if (options.password) {
    keys.push_back("password");
    values.push_back(reinterpret_cast<const char*>(password.data()));
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Fail(ErrorCode::kInternal, "database: out of memory");
  std::unique_ptr<PgConnection> owned(new PgConnection(conn));
  // Server notices (NOTICE, the FATAL of a terminated session) are not errors of any call; the
  // calls' own errors carry what matters. Without this libpq prints them to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  if (PQstatus(conn) == CONNECTION_OK) return owned;
  const std::string message = FirstLine(PQerrorMessage(conn));
  ErrorCode code = ErrorCode::kUnavailable;
  if (PQconnectionNeedsPassword(conn) != 0 ||
      message.find("authentication failed") != std::string::npos) {
    code = ErrorCode::kPermissionDenied;
  } else if (message.find("invalid") != std::string::npos ||
             message.find("does not exist") != std::string::npos) {
    code = ErrorCode::kInvalidArgument;
  }
  return Fail(code, "database connection: " + message);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<PgResult> PgConnection::Exec(std::string_view what, const char* sql,
                                    const std::vector<PgParam>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  PgResult result(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), /*resultFormat=*/0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result.get() == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return tl::unexpected(ErrorFromResult(conn_, result.get(), what));
  }
  return result;
}

Result<void> PgConnection::ExecScript(std::string_view what, const char* sql) {
  PgResult result(PQexec(conn_, sql));
  if (result.get() == nullptr || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return tl::unexpected(ErrorFromResult(conn_, result.get(), what));
  }
  return {};
}

bool PgConnection::Healthy() {
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return true;
  // An idle pooled connection (never LISTENing) has nothing to say unless the server is ending
  // the session: a shutdown or termination sends a FATAL message, then closes. libpq treats that
  // message as a notice and reports the connection broken only once it reads the close, which
  // may not have arrived yet; so anything readable here means this connection is finished.
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  return poll(&fd, 1, 0) == 0;
}

}  // namespace seedwell::pg
