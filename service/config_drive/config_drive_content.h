// Config drive content: the files Nova writes on a config drive, plus seedwell's own, as a
// ConfigDriveTree (docs/config-drive.md has the layout).
//
//   openstack/<version>/meta_data.json  every version cloud-init knows, and openstack/latest/; each
//                                       with its own fresh 512-byte random_seed (BuildMetaData)
//   openstack/<version>/user_data       when supplied (every version)
//   openstack/<version>/vendor_data.json   from 2013-10-17 ({} unless supplied)
//   openstack/<version>/network_data.json  from 2015-10-15, when supplied
//   ec2/latest/meta-data.json           Nova's EC2-style document
//   seedwell/seed.json                  the signed raw seed (seed_file.h)
//   seedwell/token                      secret: the instance token, when one is embedded
//   seedwell/sealing_key                secret: the instance's X25519 private key, when issued
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crypto/result.h"
#include "crypto/sealed_box.h"
#include "crypto/signing_key.h"
#include "service/config_drive/config_drive_tree.h"
#include "service/config_drive/metadata_document.h"
#include "service/config_drive/seed_file.h"
#include "service/instance.h"

namespace seedwell {

// kMaxUserDataBytes is Nova's bound on user_data.
inline constexpr std::size_t kMaxUserDataBytes = 65535;

// ConfigDriveContent is everything one drive says. Optional parts are left out when unset.
struct ConfigDriveContent {
  Instance instance;
  GuestServiceInfo service;
  std::optional<std::string> user_data;        // raw bytes, at most kMaxUserDataBytes
  std::optional<nlohmann::json> vendor_data;   // a JSON object
  std::optional<nlohmann::json> network_data;  // a JSON object
  std::size_t seed_file_bytes = kDefaultSeedFileBytes;
  std::string token;                            // empty: no seedwell/token
  const SealingKeyPair* sealing_key = nullptr;  // not owned; null: no seedwell/sealing_key
  std::uint64_t now_unix_ms = 0;
};

// ValidateConfigDriveInputs checks the caller-supplied parts before anything is drawn or changed:
// kInvalidArgument for user data over kMaxUserDataBytes, vendor or network data that is not a
// JSON object, or a seed size outside [kMinSeedFileBytes, kMaxSeedFileBytes].
Result<void> ValidateConfigDriveInputs(const std::optional<std::string>& user_data,
                                       const std::optional<nlohmann::json>& vendor_data,
                                       const std::optional<nlohmann::json>& network_data,
                                       std::size_t seed_file_bytes);

// BuildConfigDriveTree renders |content| into a tree, drawing every seed from |random| and signing
// the seed file with |key|. ValidateConfigDriveInputs' errors; |random|'s error (kUnavailable) if
// it fails.
Result<ConfigDriveTree> BuildConfigDriveTree(const ConfigDriveContent& content,
                                             const SigningKey& key, const RandomFill& random);

// Ec2MetaData returns Nova's ec2/latest/meta-data.json document for |instance|.
nlohmann::json Ec2MetaData(const Instance& instance);

}  // namespace seedwell
