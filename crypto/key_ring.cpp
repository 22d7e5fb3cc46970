#include "crypto/key_ring.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "crypto/encoding.h"
#include "crypto/key_directory.h"

namespace seedwell {
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

std::optional<KeyState> ParseKeyState(std::string_view name) {
  for (const KeyState s : {KeyState::kActive, KeyState::kVerifyOnly, KeyState::kRetired}) {
    if (KeyStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::uint64_t SystemUnixMillis() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count());
}

KeyRing::KeyRing(std::unique_ptr<KeyRingBackend> backend, UnixMillisFn now,
                 std::shared_ptr<const Snapshot> snapshot)
    : backend_(std::move(backend)), now_(std::move(now)), snapshot_(std::move(snapshot)) {}

Result<std::shared_ptr<const KeyRing::Snapshot>> KeyRing::SnapshotOf(StoredRing ring) {
  const auto active = std::find_if(ring.records.begin(), ring.records.end(),
                                   [](const KeyRecord& r) { return r.state == KeyState::kActive; });
  if (active == ring.records.end() ||
      std::count_if(ring.records.begin(), ring.records.end(),
                    [](const KeyRecord& r) { return r.state == KeyState::kActive; }) != 1) {
    return Fail(ErrorCode::kInvalidArgument, "key ring must have exactly one active key");
  }
  auto snapshot = std::make_shared<Snapshot>();
  for (SigningKey& key : ring.keys) {
    if (key.kid() == active->kid) {
      snapshot->active = std::make_shared<const SigningKey>(std::move(key));
    }
  }
  if (!snapshot->active) {
    return Fail(ErrorCode::kInvalidArgument, "key ring lacks the secret of its active key");
  }
  snapshot->records = std::move(ring.records);
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

Result<std::unique_ptr<KeyRing>> KeyRing::Open(const std::filesystem::path& dir, UnixMillisFn now) {
  return Open(std::make_unique<KeyDirectory>(dir), std::move(now));
}

Result<std::unique_ptr<KeyRing>> KeyRing::Open(std::unique_ptr<KeyRingBackend> backend,
                                               UnixMillisFn now) {
  auto stored = backend->LoadOrCreate(SigningKey::Generate(), now());
  SEEDWELL_RETURN_IF_ERROR(stored);
  auto snapshot = SnapshotOf(std::move(*stored));
  SEEDWELL_RETURN_IF_ERROR(snapshot);
  spdlog::info("key ring ({}): {} keys, active {}", backend->Describe(),
               (*snapshot)->records.size(), (*snapshot)->active->kid());
  return std::unique_ptr<KeyRing>(
      new KeyRing(std::move(backend), std::move(now), std::move(*snapshot)));
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
  for (const KeyRecord& r : snapshot->records) {
    if (r.kid != kid) continue;
    if (r.state == KeyState::kRetired) {
      return Fail(ErrorCode::kFailedPrecondition, "key " + r.kid + " is retired");
    }
    return r.public_key;
  }
  return Fail(ErrorCode::kNotFound, "unknown key id");
}

std::vector<PublicKeyInfo> KeyRing::PublicKeys() const {
  const auto snapshot = Current();
  std::vector<PublicKeyInfo> out;
  out.reserve(snapshot->records.size());
  for (const KeyRecord& r : snapshot->records) {
    out.push_back(
        PublicKeyInfo{r.kid, "Ed25519", ToBase64(r.public_key), r.state, r.created_at_unix_ms});
  }
  return out;
}

Result<std::string> KeyRing::Rotate() {
  const std::lock_guard<std::mutex> lock(write_mu_);
  const auto old = Current();
  auto key = std::make_shared<const SigningKey>(SigningKey::Generate());
  const std::uint64_t now = now_();
  SEEDWELL_TRY(backend_->AddActive(*key, now));
  spdlog::info("key ring ({}): rotated, active key {} (was {})", backend_->Describe(), key->kid(),
               old->active->kid());
  // Use the ring as stored: another process may have changed it since it was loaded. Should the
  // storage fail just now, use this ring rotated; the next reload brings in the rest.
  if (ReloadLocked()) return key->kid();
  auto next = std::make_shared<Snapshot>();
  next->records = old->records;
  for (KeyRecord& r : next->records) {
    if (r.state == KeyState::kActive) r.state = KeyState::kVerifyOnly;
  }
  next->records.push_back(KeyRecord{key->kid(), key->public_key(), KeyState::kActive, now});
  next->active = key;
  Publish(std::move(next));
  return key->kid();
}

Result<void> KeyRing::Retire(std::string_view kid) {
  const std::lock_guard<std::mutex> lock(write_mu_);
  const auto old = Current();
  auto next = std::make_shared<Snapshot>(*old);
  const auto it = std::find_if(next->records.begin(), next->records.end(),
                               [kid](const KeyRecord& r) { return r.kid == kid; });
  if (it == next->records.end()) return Fail(ErrorCode::kNotFound, "unknown key id");
  if (it->state == KeyState::kActive) {
    return Fail(ErrorCode::kFailedPrecondition, "cannot retire the active key; rotate first");
  }
  if (it->state == KeyState::kRetired) return {};
  SEEDWELL_TRY(backend_->Retire(kid));
  it->state = KeyState::kRetired;
  Publish(std::move(next));
  spdlog::info("key ring ({}): retired key {}", backend_->Describe(), kid);
  return {};
}

Result<bool> KeyRing::Reload() {
  const std::lock_guard<std::mutex> lock(write_mu_);
  return ReloadLocked();
}

Result<bool> KeyRing::ReloadLocked() {
  auto stored = backend_->Load();
  SEEDWELL_RETURN_IF_ERROR(stored);
  const auto old = Current();
  if (stored->records == old->records) return false;
  auto snapshot = SnapshotOf(std::move(*stored));
  SEEDWELL_RETURN_IF_ERROR(snapshot);
  const std::string active = (*snapshot)->active->kid();
  const std::size_t count = (*snapshot)->records.size();
  Publish(std::move(*snapshot));
  spdlog::info("key ring ({}): reloaded, {} keys, active {} (was {})", backend_->Describe(), count,
               active, old->active->kid());
  return true;
}

}  // namespace seedwell
