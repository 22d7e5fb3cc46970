#include "crypto/key_directory.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "crypto/bounded_json.h"
#include "crypto/encoding.h"

namespace seedwell {
namespace {

constexpr std::string_view kIndexFormat = "seedwell-keyring-v1";
constexpr std::string_view kIndexName = "index.json";
constexpr std::string_view kKeySuffix = ".key";
constexpr std::uintmax_t kMaxIndexBytes = 1 << 20;

std::filesystem::path KeyPath(const std::filesystem::path& dir, std::string_view kid) {
  return dir / (std::string(kid) + std::string(kKeySuffix));
}

bool HasKeyFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::directory_iterator begin(dir, ec);  // on error, equals end()
  return std::any_of(begin, std::filesystem::directory_iterator(),
                     [](const auto& entry) { return entry.path().extension() == kKeySuffix; });
}

}  // namespace

bool KeyDirectory::HasRing(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / kIndexName, ec);
}

Result<std::vector<KeyRecord>> KeyDirectory::ReadIndex() const {
  const std::filesystem::path path = dir_ / kIndexName;
  const std::string where = "key index " + path.string();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    const ErrorCode code =
        ec == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kUnavailable;
    return Fail(code, where + ": " + ec.message());
  }
  if (size > kMaxIndexBytes) return Fail(ErrorCode::kInvalidArgument, where + " is too large");
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Fail(ErrorCode::kUnavailable, where + ": read failed");

  const auto malformed = [&where](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument, where + " is malformed: " + std::string(why));
  };
  auto parsed = ParseBoundedJson(text);
  if (!parsed) return malformed(parsed.error().message);
  const nlohmann::json& doc = *parsed;
  if (!doc.is_object()) return malformed("not a JSON object");
  const auto format = doc.find("format");
  if (format == doc.end() || !format->is_string() || *format != kIndexFormat) {
    return malformed("unknown format");
  }
  const auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) return malformed("no key list");

  std::vector<KeyRecord> records;
  for (const nlohmann::json& item : *keys) {
    if (!item.is_object()) return malformed("key entry is not an object");
    const auto kid = item.find("kid");
    const auto pub = item.find("public_key");
    const auto state = item.find("state");
    const auto created = item.find("created_at_unix_ms");
    if (kid == item.end() || !kid->is_string() || pub == item.end() || !pub->is_string() ||
        state == item.end() || !state->is_string() || created == item.end() ||
        !created->is_number_unsigned()) {
      return malformed("key entry lacks kid, public_key, state or created_at_unix_ms");
    }
    KeyRecord record;
    record.kid = kid->get<std::string>();
    if (!FromBase64Into(pub->get<std::string>(), record.public_key)) {
      return malformed("public key of " + record.kid + " is not base64 of 32 bytes");
    }
    // The kid must be derived from the key: this also makes it safe to use as a file name.
    if (KeyIdFor(record.public_key) != record.kid) {
      return malformed("kid " + record.kid + " does not match its public key");
    }
    const auto parsed_state = ParseKeyState(state->get<std::string>());
    if (!parsed_state) return malformed("unknown state of " + record.kid);
    record.state = *parsed_state;
    record.created_at_unix_ms = created->get<std::uint64_t>();
    const bool duplicate =
        std::any_of(records.begin(), records.end(),
                    [&record](const KeyRecord& r) { return r.kid == record.kid; });
    if (duplicate) return malformed("kid " + record.kid + " listed twice");
    records.push_back(std::move(record));
  }
  return records;
}

Result<void> KeyDirectory::WriteIndex(const std::vector<KeyRecord>& records) const {
  nlohmann::json keys = nlohmann::json::array();
  for (const KeyRecord& r : records) {
    keys.push_back({{"kid", r.kid},
                    {"public_key", ToBase64(r.public_key)},
                    {"state", KeyStateName(r.state)},
                    {"created_at_unix_ms", r.created_at_unix_ms}});
  }
  const nlohmann::json doc = {{"format", kIndexFormat}, {"keys", keys}};
  const std::string text = doc.dump(2) + "\n";
  return WriteFileAtomically(dir_ / kIndexName,
                             std::span<const std::uint8_t>(
                                 reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                             0600);
}

Result<StoredRing> KeyDirectory::Load() {
  auto records = ReadIndex();
  SEEDWELL_RETURN_IF_ERROR(records);
  StoredRing ring;
  std::size_t active = 0;
  for (const KeyRecord& r : *records) {
    if (r.state == KeyState::kRetired) continue;
    active += r.state == KeyState::kActive ? 1 : 0;
    const std::filesystem::path path = KeyPath(dir_, r.kid);
    auto key = SigningKey::Load(path);
    SEEDWELL_RETURN_IF_ERROR(key);
    if (key->kid() != r.kid) {
      return Fail(ErrorCode::kInvalidArgument,
                  "key file " + path.string() + " does not hold key " + r.kid);
    }
    ring.keys.push_back(std::move(*key));
  }
  if (active != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "key index in " + dir_.string() +
                    (active == 0 ? " has no active key" : " has more than one active key"));
  }
  ring.records = std::move(*records);
  return ring;
}

Result<StoredRing> KeyDirectory::LoadOrCreate(const SigningKey& first, std::uint64_t now_ms) {
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) {
    std::filesystem::create_directories(dir_, ec);
    if (ec || chmod(dir_.c_str(), 0700) != 0) {
      return Fail(ErrorCode::kUnavailable, "cannot create key directory " + dir_.string());
    }
  }
  if (!std::filesystem::is_directory(dir_, ec)) {
    return Fail(ErrorCode::kFailedPrecondition, dir_.string() + " is not a directory");
  }
  if (!HasRing(dir_)) {
    if (HasKeyFiles(dir_)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "key directory " + dir_.string() + " has key files but no " +
                      std::string(kIndexName) + "; refusing to guess their states");
    }
    SEEDWELL_TRY(first.Save(KeyPath(dir_, first.kid())));
    SEEDWELL_TRY(
        WriteIndex({KeyRecord{first.kid(), first.public_key(), KeyState::kActive, now_ms}}));
    spdlog::info("key ring {}: created active key {}", dir_.string(), first.kid());
  }
  return Load();
}

Result<void> KeyDirectory::AddActive(const SigningKey& key, std::uint64_t now_ms) {
  auto records = ReadIndex();
  SEEDWELL_RETURN_IF_ERROR(records);
  for (KeyRecord& r : *records) {
    if (r.state == KeyState::kActive) r.state = KeyState::kVerifyOnly;
  }
  records->push_back(KeyRecord{key.kid(), key.public_key(), KeyState::kActive, now_ms});
  const std::filesystem::path path = KeyPath(dir_, key.kid());
  SEEDWELL_TRY(key.Save(path));
  if (auto written = WriteIndex(*records); !written) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // the index never named it
    return written;
  }
  return {};
}

Result<void> KeyDirectory::Retire(std::string_view kid) {
  auto records = ReadIndex();
  SEEDWELL_RETURN_IF_ERROR(records);
  const auto it = std::find_if(records->begin(), records->end(),
                               [kid](const KeyRecord& r) { return r.kid == kid; });
  if (it == records->end()) return Fail(ErrorCode::kNotFound, "unknown key id");
  if (it->state == KeyState::kActive) {
    return Fail(ErrorCode::kFailedPrecondition, "cannot retire the active key; rotate first");
  }
  if (it->state == KeyState::kRetired) return {};
  it->state = KeyState::kRetired;
  SEEDWELL_TRY(WriteIndex(*records));
  // The index no longer needs the secret: delete it. A failure leaves a harmless unused file.
  std::error_code ec;
  std::filesystem::remove(KeyPath(dir_, kid), ec);
  if (ec) {
    spdlog::warn("key ring {}: could not delete retired key file: {}", dir_.string(), ec.message());
  }
  return {};
}

}  // namespace seedwell
