// IsoImage: writes a ConfigDriveTree as an ISO 9660 image in memory with libisofs, the way Nova's
// `genisoimage -ldots -allow-lowercase -allow-multidot -l -J -r -V config-2` does: ISO level 2
// names, Rock Ridge (the names and modes Linux sees) and Joliet, volume id "config-2".
//
// Theory of operation: the tree's files are handed to libisofs as memory streams; libisofs formats
// the image on its own writer thread and we read it, 2048-byte block by block, from its
// burn_source into one SecretBuffer sized by get_size(). The stream buffers we gave libisofs are
// wiped before the image is released (libisofs would free them without wiping), so secrets on the
// drive leave no copy behind. libisofs' global state is initialised once; builds are serialised
// by a mutex (a drive takes well under a millisecond, and this keeps us clear of any global state
// in the library). Trap: without iso_write_opts_set_relaxed_vol_atts the volume id is written as
// "CONFIG_2", which cloud-init does not look for.
#pragma once

#include <cstdint>
#include <string>

#include "crypto/result.h"
#include "crypto/secret_buffer.h"
#include "service/config_drive/config_drive_tree.h"

namespace seedwell {

inline constexpr const char* kConfigDriveLabel = "config-2";

// IsoImageOptions are the volume descriptor fields.
struct IsoImageOptions {
  std::string volume_id = kConfigDriveLabel;
  std::string publisher = "seedwell";
  std::int64_t mtime_unix_s = 0;  // timestamp of every node; 0 = now
};

// BuildIsoImage returns the ISO 9660 image of |tree| in a new SecretBuffer. Secret files get mode
// 0400, others 0444, directories 0555, all owned by root. kInvalidArgument for a volume id longer
// than 32 characters; kInternal if libisofs fails (its error code in the message).
// Thread-safe.
Result<SecretBuffer> BuildIsoImage(const ConfigDriveTree& tree, const IsoImageOptions& options);

}  // namespace seedwell
