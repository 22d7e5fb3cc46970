// ConfigDriveMount: gives the guest tool a directory holding the config drive's files, whether it
// was given a directory (already mounted, or a tree in tests) or the drive's block device.
//
// Theory of operation: a block device is mounted read-only (iso9660, nosuid, nodev, noexec) on a
// fresh private directory under /run (or $TMPDIR), and unmounted and removed when the object is
// destroyed, so the tool leaves no trace. With no path, the standard udev names
// /dev/disk/by-label/config-2 and CONFIG-2 are tried; finding no drive is not an error (the
// configuration may come from flags), and Open returns an empty mount.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "crypto/result.h"

namespace seedwell {

// ConfigDriveMount owns a mounted config drive (or refers to a given directory). Movable, not
// copyable; the destructor unmounts what Open mounted.
class ConfigDriveMount {
 public:
  // Open resolves |path| as above. It fails with kNotFound if |path| does not exist,
  // kInvalidArgument if it is neither a directory nor a block device, and kPermissionDenied or
  // kUnavailable when the device cannot be mounted (with the system's reason).
  static Result<ConfigDriveMount> Open(const std::string& path);

  ConfigDriveMount(ConfigDriveMount&& other) noexcept;
  ConfigDriveMount& operator=(ConfigDriveMount&&) = delete;
  ConfigDriveMount(const ConfigDriveMount&) = delete;
  ConfigDriveMount& operator=(const ConfigDriveMount&) = delete;
  ~ConfigDriveMount();

  // dir returns the drive's root directory, or nothing when no drive was found.
  const std::optional<std::filesystem::path>& dir() const { return dir_; }
  // source describes where the files came from, for messages ("" when there is no drive).
  const std::string& source() const { return source_; }

 private:
  ConfigDriveMount() = default;
  std::optional<std::filesystem::path> dir_;
  std::string source_;
  bool mounted_ = false;  // true when |dir_| is a mount point this object made
};

}  // namespace seedwell
