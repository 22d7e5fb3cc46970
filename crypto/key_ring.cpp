#include "crypto/key_ring.h"

#include <sys/stat.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <chrono>
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

Result<KeyState> ParseState(std::string_view name) {
  for (KeyState s : {KeyState::kActive, KeyState::kVerifyOnly, KeyState::kRetired}) {
    if (KeyStateName(s) == name) return s;
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown key state");
}

bool HasKeyFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::directory_iterator begin(dir, ec);  // on error, equals end()
  return std::any_of(begin, std::filesystem::directory_iterator(),
                     [](const auto& entry) { return entry.path().extension() == kKeySuffix; });
}

}  // namespace

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kActive:
      return "active";
    case KeyState::kVerifyOnly:
      return "verify_only";
    case KeyState::kRetired:
      return "retired";
  }
  return "retired";
}

std::uint64_t SystemUnixMillis() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

KeyRing::KeyRing(std::filesystem::path dir, UnixMillisFn now,
                 std::shared_ptr<const Snapshot> snapshot)
    : dir_(std::move(dir)), now_(std::move(now)), snapshot_(std::move(snapshot)) {}

Result<std::vector<KeyRing::Entry>> KeyRing::ReadIndex(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kIndexName;
  const std::string where = "key index " + path.string();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Fail(ErrorCode::kUnavailable, where + ": " + ec.message());
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

  std::vector<Entry> entries;
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
    Entry entry;
    entry.kid = kid->get<std::string>();
    if (!FromBase64Into(pub->get<std::string>(), entry.public_key)) {
      return malformed("public key of " + entry.kid + " is not base64 of 32 bytes");
    }
    // The kid must be derived from the key: this also makes it safe to use as a file name.
    if (KeyIdFor(entry.public_key) != entry.kid) {
      return malformed("kid " + entry.kid + " does not match its public key");
    }
    auto parsed_state = ParseState(state->get<std::string>());
    if (!parsed_state) return malformed("unknown state of " + entry.kid);
    entry.state = *parsed_state;
    entry.created_at_unix_ms = created->get<std::uint64_t>();
    const bool duplicate = std::any_of(entries.begin(), entries.end(),
                                       [&entry](const Entry& e) { return e.kid == entry.kid; });
    if (duplicate) return malformed("kid " + entry.kid + " listed twice");
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<void> KeyRing::WriteIndex(const std::filesystem::path& dir,
                                 const std::vector<Entry>& entries) {
  nlohmann::json keys = nlohmann::json::array();
  for (const Entry& e : entries) {
    keys.push_back({{"kid", e.kid},
                    {"public_key", ToBase64(e.public_key)},
                    {"state", KeyStateName(e.state)},
                    {"created_at_unix_ms", e.created_at_unix_ms}});
  }
  const nlohmann::json doc = {{"format", kIndexFormat}, {"keys", keys}};
  const std::string text = doc.dump(2) + "\n";
  return WriteFileAtomically(dir / kIndexName,
                             std::span<const std::uint8_t>(
                                 reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                             0600);
}

Result<std::shared_ptr<const KeyRing::Snapshot>> KeyRing::LoadSnapshot(
    const std::filesystem::path& dir, std::vector<Entry> entries) {
  auto snapshot = std::make_shared<Snapshot>();
  for (const Entry& e : entries) {
    if (e.state == KeyState::kRetired) continue;
    const std::filesystem::path path = KeyPath(dir, e.kid);
    auto key = SigningKey::Load(path);
    SEEDWELL_RETURN_IF_ERROR(key);
    if (key->kid() != e.kid) {
      return Fail(ErrorCode::kInvalidArgument,
                  "key file " + path.string() + " does not hold key " + e.kid);
    }
    if (e.state == KeyState::kActive) {
      if (snapshot->active) {
        return Fail(ErrorCode::kInvalidArgument,
                    "key index in " + dir.string() + " has more than one active key");
      }
      snapshot->active = std::make_shared<const SigningKey>(std::move(*key));
    }
  }
  if (!snapshot->active) {
    return Fail(ErrorCode::kInvalidArgument, "key index in " + dir.string() + " has no active key");
  }
  snapshot->entries = std::move(entries);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

Result<std::unique_ptr<KeyRing>> KeyRing::Open(const std::filesystem::path& dir, UnixMillisFn now) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec || chmod(dir.c_str(), 0700) != 0) {
      return Fail(ErrorCode::kUnavailable, "cannot create key directory " + dir.string());
    }
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return Fail(ErrorCode::kFailedPrecondition, dir.string() + " is not a directory");
  }

  if (!std::filesystem::exists(dir / kIndexName, ec)) {
    if (HasKeyFiles(dir)) {
      return Fail(ErrorCode::kFailedPrecondition,
                  "key directory " + dir.string() + " has key files but no " +
                      std::string(kIndexName) + "; refusing to guess their states");
    }
    SigningKey key = SigningKey::Generate();
    if (auto saved = key.Save(KeyPath(dir, key.kid())); !saved) {
      return tl::unexpected(saved.error());
    }
    const std::vector<Entry> entries = {
        Entry{key.kid(), key.public_key(), KeyState::kActive, now()}};
    SEEDWELL_TRY(WriteIndex(dir, entries));
    spdlog::info("key ring {}: created active key {}", dir.string(), key.kid());
  }

  auto entries = ReadIndex(dir);
  SEEDWELL_RETURN_IF_ERROR(entries);
  auto snapshot = LoadSnapshot(dir, std::move(*entries));
  SEEDWELL_RETURN_IF_ERROR(snapshot);
  spdlog::info("key ring {}: {} keys, active {}", dir.string(), (*snapshot)->entries.size(),
               (*snapshot)->active->kid());
  return std::unique_ptr<KeyRing>(new KeyRing(dir, std::move(now), std::move(*snapshot)));
}

std::shared_ptr<const KeyRing::Snapshot> KeyRing::Current() const {
  const std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

void KeyRing::Publish(std::shared_ptr<const Snapshot> snapshot) {
  const std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_.swap(snapshot);
  // The old snapshot is released after the lock, by |snapshot|'s destructor.
}

std::shared_ptr<const SigningKey> KeyRing::ActiveKey() const { return Current()->active; }

Result<Ed25519PublicKey> KeyRing::Find(std::string_view kid) const {
  const auto snapshot = Current();
  for (const Entry& e : snapshot->entries) {
    if (e.kid != kid) continue;
    if (e.state == KeyState::kRetired) {
      return Fail(ErrorCode::kFailedPrecondition, "key " + e.kid + " is retired");
    }
    return e.public_key;
  }
  return Fail(ErrorCode::kNotFound, "unknown key id");
}

std::vector<PublicKeyInfo> KeyRing::PublicKeys() const {
  const auto snapshot = Current();
  std::vector<PublicKeyInfo> out;
  out.reserve(snapshot->entries.size());
  for (const Entry& e : snapshot->entries) {
    out.push_back(
        PublicKeyInfo{e.kid, "Ed25519", ToBase64(e.public_key), e.state, e.created_at_unix_ms});
  }
  return out;
}

Result<std::string> KeyRing::Rotate() {
  const std::lock_guard<std::mutex> lock(write_mu_);
  const auto old = Current();
  auto key = std::make_shared<const SigningKey>(SigningKey::Generate());
  const std::filesystem::path path = KeyPath(dir_, key->kid());
  SEEDWELL_TRY(key->Save(path));

  auto next = std::make_shared<Snapshot>();
  next->entries = old->entries;
  for (Entry& e : next->entries) {
    if (e.state == KeyState::kActive) e.state = KeyState::kVerifyOnly;
  }
  next->entries.push_back(Entry{key->kid(), key->public_key(), KeyState::kActive, now_()});
  next->active = key;
  if (auto written = WriteIndex(dir_, next->entries); !written) {
    std::error_code ec;
    std::filesystem::remove(path, ec);  // the index never named it
    return tl::unexpected(written.error());
  }
  Publish(std::move(next));
  spdlog::info("key ring {}: rotated, active key {} (was {})", dir_.string(), key->kid(),
               old->active->kid());
  return key->kid();
}

Result<void> KeyRing::Retire(std::string_view kid) {
  const std::lock_guard<std::mutex> lock(write_mu_);
  const auto old = Current();
  auto next = std::make_shared<Snapshot>(*old);
  const auto it = std::find_if(next->entries.begin(), next->entries.end(),
                               [kid](const Entry& e) { return e.kid == kid; });
  if (it == next->entries.end()) return Fail(ErrorCode::kNotFound, "unknown key id");
  if (it->state == KeyState::kActive) {
    return Fail(ErrorCode::kFailedPrecondition, "cannot retire the active key; rotate first");
  }
  if (it->state == KeyState::kRetired) return {};
  it->state = KeyState::kRetired;
  if (auto written = WriteIndex(dir_, next->entries); !written) return written;
  Publish(std::move(next));
  // The index no longer needs the secret: delete it. A failure leaves a harmless unused file.
  std::error_code ec;
  std::filesystem::remove(KeyPath(dir_, kid), ec);
  if (ec)
    spdlog::warn("key ring {}: could not delete retired key file: {}", dir_.string(), ec.message());
  spdlog::info("key ring {}: retired key {}", dir_.string(), kid);
  return {};
}

}  // namespace seedwell
