#include "service/config_drive/config_drive_tree.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace seedwell {
namespace {

bool SafeByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// IsPrefixDir is true when |dir| is a proper directory prefix of |path| ("a/b" of "a/b/c").
bool IsPrefixDir(std::string_view dir, std::string_view path) {
  return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

}  // namespace

Result<void> ValidateTreePath(std::string_view path) {
  if (path.empty() || path.front() == '/') {
    return Fail(ErrorCode::kInvalidArgument, "config drive path must be relative and non-empty");
  }
  std::size_t depth = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, slash - start);
    if (part.empty() || part == "." || part == ".." || part.size() > kMaxTreeComponentLength ||
        !std::all_of(part.begin(), part.end(), SafeByte)) {
      return Fail(ErrorCode::kInvalidArgument, "unsafe config drive path component");
    }
    if (++depth > kMaxTreeDepth) {
      return Fail(ErrorCode::kInvalidArgument, "config drive path too deep");
    }
    start = slash + 1;
  }
  return {};
}

Result<void> ConfigDriveTree::Add(std::string_view path, std::span<const std::uint8_t> contents,
                                  bool secret) {
  SecretBuffer buffer(contents.size());
  if (!contents.empty()) std::memcpy(buffer.data(), contents.data(), contents.size());
  return AddBuffer(path, std::move(buffer), secret);
}

Result<void> ConfigDriveTree::AddText(std::string_view path, std::string_view text, bool secret) {
  return Add(path,
             std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                           text.size()),
             secret);
}

Result<void> ConfigDriveTree::AddBuffer(std::string_view path, SecretBuffer contents, bool secret) {
  if (auto ok = ValidateTreePath(path); !ok) return ok;
  for (const auto& file : files_) {
    if (file.path == path || IsPrefixDir(file.path, path) || IsPrefixDir(path, file.path)) {
      return Fail(ErrorCode::kInvalidArgument, "config drive path collides with another file");
    }
  }
  files_.push_back(ConfigDriveFile{std::string(path), std::move(contents), secret});
  return {};
}

const ConfigDriveFile* ConfigDriveTree::Find(std::string_view path) const {
  for (const auto& file : files_) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

std::vector<std::string> ConfigDriveTree::Directories() const {
  std::set<std::string> dirs;
  for (const auto& file : files_) {
    for (std::size_t slash = file.path.find('/'); slash != std::string::npos;
         slash = file.path.find('/', slash + 1)) {
      dirs.insert(file.path.substr(0, slash));
    }
  }
  // Lexicographic order puts "a" before "a/b": each directory comes after its parent.
  return {dirs.begin(), dirs.end()};
}

bool ConfigDriveTree::HasSecrets() const {
  return std::any_of(files_.begin(), files_.end(), [](const auto& f) { return f.secret; });
}

std::uint64_t ConfigDriveTree::TotalBytes() const {
  std::uint64_t total = 0;
  for (const auto& file : files_) total += file.contents.size();
  return total;
}

}  // namespace seedwell
