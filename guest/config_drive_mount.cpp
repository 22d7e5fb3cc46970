#include "guest/config_drive_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace seedwell {
namespace {

constexpr const char* kLabelPaths[] = {"/dev/disk/by-label/config-2",
                                       "/dev/disk/by-label/CONFIG-2"};

std::string MountParent() {
  struct stat st {};
  if (::stat("/run", &st) == 0 && S_ISDIR(st.st_mode) && ::access("/run", W_OK) == 0) return "/run";
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace

Result<ConfigDriveMount> ConfigDriveMount::Open(const std::string& path) {
  ConfigDriveMount mount;
  std::string device = path;
  if (device.empty()) {
    for (const char* candidate : kLabelPaths) {
      if (::access(candidate, F_OK) == 0) {
        device = candidate;
        break;
      }
    }
    if (device.empty()) return mount;  // no drive: the configuration must come from flags
  }
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0) {
    return Fail(ErrorCode::kNotFound, "config drive " + device + ": " + std::strerror(errno));
  }
  mount.source_ = device;
  if (S_ISDIR(st.st_mode)) {
    mount.dir_ = device;
    return mount;
  }
  if (!S_ISBLK(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument,
                "config drive " + device + " is neither a directory nor a block device");
  }
  std::string dir = MountParent() + "/seedwell-fetch.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return Fail(ErrorCode::kUnavailable,
                "cannot make a mount point: " + std::string(std::strerror(errno)));
  }
  if (::mount(device.c_str(), dir.c_str(), "iso9660", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    const int err = errno;
    ::rmdir(dir.c_str());
    return Fail(
        err == EPERM || err == EACCES ? ErrorCode::kPermissionDenied : ErrorCode::kUnavailable,
        "cannot mount config drive " + device + " (iso9660, read-only): " + std::strerror(err));
  }
  mount.dir_ = dir;
  mount.mounted_ = true;
  return mount;
}

ConfigDriveMount::ConfigDriveMount(ConfigDriveMount&& other) noexcept
    : dir_(std::move(other.dir_)), source_(std::move(other.source_)), mounted_(other.mounted_) {
  other.dir_.reset();
  other.mounted_ = false;
}

ConfigDriveMount::~ConfigDriveMount() {
  if (mounted_ && dir_) {
    ::umount2(dir_->c_str(), MNT_DETACH);
    ::rmdir(dir_->c_str());
  }
}

}  // namespace seedwell
