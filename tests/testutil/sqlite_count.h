// SqliteCount: runs one `SELECT count(*) ...` against a database file, for tests that look past
// the Store interface at what is really stored. Returns -1 if the database or query fails.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace seedwell::testing {

inline std::int64_t SqliteCount(const std::string& db_path, const char* count_sql) {
  sqlite3* db = nullptr;
  std::int64_t count = -1;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, count_sql, -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

}  // namespace seedwell::testing
