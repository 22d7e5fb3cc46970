// Test helpers: read "key = value" test-vector records from tests/data, and a per-test temporary
// directory.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "crypto/encoding.h"

namespace seedwell::testing {

using VectorRecord = std::map<std::string, std::string>;

// ReadVectorFile parses SEEDWELL_TEST_DATA_DIR/|name|: records separated by blank lines, each line
// "key = value"; lines starting with '#' are comments. It fails the test if the file is missing.
inline std::vector<VectorRecord> ReadVectorFile(const std::string& name) {
  std::ifstream in(std::string(SEEDWELL_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  std::vector<VectorRecord> records;
  VectorRecord current;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    const auto eq = line.find(" =");
    if (eq == std::string::npos) {
      if (!current.empty()) records.push_back(std::move(current));
      current.clear();
      continue;
    }
    std::string value = line.substr(eq + 2);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    current[line.substr(0, eq)] = value;
  }
  if (!current.empty()) records.push_back(std::move(current));
  return records;
}

// Hex decodes test-vector hex, failing the test on bad input.
inline std::vector<std::uint8_t> Hex(const std::string& text) {
  auto bytes = FromHex(text);
  EXPECT_TRUE(bytes.has_value()) << "bad hex in vector: " << text;
  return bytes.value_or(std::vector<std::uint8_t>{});
}

// TempDir is a fresh directory under the system temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "seedwell-test-XXXXXX").string();
    const char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace seedwell::testing
