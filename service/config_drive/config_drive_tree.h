// ConfigDriveTree: the files of one config drive, held in memory before they are written as a
// directory tree or an ISO 9660 image.
//
// Every path is relative, '/'-separated, and made only of safe components (letters, digits, '.',
// '_', '-'; never "." or ".."; at most kMaxTreeDepth deep), so no path in a tree can escape the
// directory it is written to, whatever an instance's fields contain. Contents live in SecretBuffers
// (wiped on destruction): a drive carries seeds and may carry an instance token or private key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"

namespace seedwell {

inline constexpr std::size_t kMaxTreeDepth = 8;
inline constexpr std::size_t kMaxTreeComponentLength = 64;

// ConfigDriveFile is one regular file of a drive. |secret| files are written mode 0600 (0400 in an
// ISO), others 0644 (0444).
struct ConfigDriveFile {
  std::string path;
  SecretBuffer contents;
  bool secret = false;
};

// ValidateTreePath accepts a relative path of safe components (see the file comment); anything
// else (absolute, empty component, "..", a byte outside the safe set) is kInvalidArgument.
Result<void> ValidateTreePath(std::string_view path);

// ConfigDriveTree is an ordered set of files; directories are implied by the file paths. Movable,
// not copyable (it owns secrets).
class ConfigDriveTree {
 public:
  ConfigDriveTree() = default;
  ConfigDriveTree(const ConfigDriveTree&) = delete;
  ConfigDriveTree& operator=(const ConfigDriveTree&) = delete;
  ConfigDriveTree(ConfigDriveTree&&) = default;
  ConfigDriveTree& operator=(ConfigDriveTree&&) = default;
  ~ConfigDriveTree() = default;

  // Add copies |contents| into a new file at |path|. kInvalidArgument if the path is unsafe, is
  // already a file, or is a directory of (or passes through) another file.
  Result<void> Add(std::string_view path, std::span<const std::uint8_t> contents, bool secret);

  // AddText adds |text| as the file's bytes, like Add.
  Result<void> AddText(std::string_view path, std::string_view text, bool secret);

  // AddBuffer takes ownership of |contents| (no copy), like Add.
  Result<void> AddBuffer(std::string_view path, SecretBuffer contents, bool secret);

  // Find returns the file at |path|, or nullptr.
  const ConfigDriveFile* Find(std::string_view path) const;

  // files returns the files in the order they were added.
  const std::vector<ConfigDriveFile>& files() const { return files_; }

  // Directories returns every directory the files imply, each after its parent, sorted.
  std::vector<std::string> Directories() const;

  // HasSecrets is true when some file is secret (then the whole drive must be treated as one).
  bool HasSecrets() const;

  // TotalBytes is the sum of the file sizes.
  std::uint64_t TotalBytes() const;

 private:
  std::vector<ConfigDriveFile> files_;
};

}  // namespace seedwell
