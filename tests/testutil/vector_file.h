// Test helpers: read "key = value" test-vector records from tests/data.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "tests/testutil/temp_dir.h"  // most vector tests also want a TempDir

namespace seedwell::testing {

using VectorRecord = std::map<std::string, std::string>;

// ReadVectorFile parses SEEDWELL_TEST_DATA_DIR/|name|: records separated by blank lines, each line
// "key = value" (or "key: value" with |separator| ":"); lines starting with '#' are comments. It
// fails the test if the file is missing.
inline std::vector<VectorRecord> ReadVectorFile(const std::string& name,
                                                const std::string& separator = " =") {
  std::ifstream in(std::string(SEEDWELL_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << "cannot open " << name;
  std::vector<VectorRecord> records;
  VectorRecord current;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    const auto eq = line.find(separator);
    if (eq == std::string::npos) {
      if (!current.empty()) records.push_back(std::move(current));
      current.clear();
      continue;
    }
    std::string value = line.substr(eq + separator.size());
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

}  // namespace seedwell::testing
