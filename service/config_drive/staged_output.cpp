#include "service/config_drive/staged_output.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "crypto/encoding.h"

namespace seedwell {
namespace {

namespace fs = std::filesystem;

// Fd closes a file descriptor once.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  // Close closes now and returns close's errno (0 on success): some file systems report write
  // errors only here.
  int Close() {
    const int rc = close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

Error IoError(const fs::path& target, int err) {
  ErrorCode code = ErrorCode::kUnavailable;
  if (err == EACCES || err == EPERM || err == EROFS) code = ErrorCode::kPermissionDenied;
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) code = ErrorCode::kResourceExhausted;
  return Error{code, "writing " + target.string() + ": " + std::strerror(err)};
}

fs::path TempBeside(const fs::path& target) {
  std::array<std::uint8_t, 8> suffix{};
  randombytes_buf(suffix.data(), suffix.size());
  // Built by appending: GCC 12 at -O3 reports a false -Wrestrict for "." + std::string.
  std::string name(1, '.');
  name.append(target.filename().string()).append(".tmp-").append(ToHex(suffix));
  return target.parent_path() / name;
}

// WriteAll writes |bytes| to |fd|, retrying short writes and EINTR; returns 0 or an errno.
int WriteAll(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return 0;
}

// WriteFileAt creates |name| under |dir_fd| exclusively with |mode|, writes, fsyncs and closes it.
int WriteFileAt(int dir_fd, const char* name, std::span<const std::uint8_t> bytes, mode_t mode) {
  Fd fd(openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return errno;
  if (const int err = WriteAll(fd.get(), bytes); err != 0) return err;
  if (fchmod(fd.get(), mode) != 0 || fsync(fd.get()) != 0) return errno;
  return fd.Close();
}

int FsyncPath(const fs::path& dir) {
  Fd fd(open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || fsync(fd.get()) != 0) return errno;
  return 0;
}

void RemoveQuietly(const fs::path& path) {
  std::error_code ignored;
  fs::remove_all(path, ignored);
}

// FillTree writes |tree| under the new directory |root| (whose fd is |root_fd|).
int FillTree(int root_fd, const fs::path& root, const ConfigDriveTree& tree) {
  for (const auto& dir : tree.Directories()) {
    if (mkdirat(root_fd, dir.c_str(), 0755) != 0) return errno;
  }
  for (const auto& file : tree.files()) {
    const int err =
        WriteFileAt(root_fd, file.path.c_str(), file.contents.span(), file.secret ? 0600 : 0644);
    if (err != 0) return err;
  }
  // Directory entries are durable only once each directory is fsynced, deepest last is fine.
  for (const auto& dir : tree.Directories()) {
    if (const int err = FsyncPath(root / dir); err != 0) return err;
  }
  return 0;
}

// ReplaceDirectory moves the directory |temp| to |target|, returning 0 or an errno. A directory
// cannot be renamed over a non-empty one, so an existing target is swapped (RENAME_EXCHANGE) and
// the old tree, now at |temp|, removed; a missing one is created without replacing anything
// (RENAME_NOREPLACE). If another build changes the picture in between, it retries (bounded).
int ReplaceDirectory(const fs::path& temp, const fs::path& target) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      return 0;
    }
    if (errno != EEXIST) return errno;
    if (renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      RemoveQuietly(temp);
      return 0;
    }
    if (errno != ENOENT) return errno;  // ENOENT: the target vanished meanwhile; try again
  }
  return EAGAIN;
}

}  // namespace

Result<fs::path> ValidateOutputPath(const fs::path& target, OutputKind kind) {
  std::string text = target.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  if (text.empty()) return Fail(ErrorCode::kInvalidArgument, "output path is empty");
  const fs::path path(text);
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == ".." || text == "/") {
    return Fail(ErrorCode::kInvalidArgument, "output path must name a file or directory: " + text);
  }
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  struct stat st {};
  if (stat(parent.c_str(), &st) != 0) {
    return Fail(ErrorCode::kNotFound, "output directory does not exist: " + parent.string());
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(ErrorCode::kInvalidArgument, "not a directory: " + parent.string());
  }
  if (lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument, "refusing to replace a symbolic link: " + text);
    }
    if (kind == OutputKind::kFile && !S_ISREG(st.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument, "output exists and is not a regular file: " + text);
    }
    if (kind == OutputKind::kDirectory && !S_ISDIR(st.st_mode)) {
      return Fail(ErrorCode::kInvalidArgument, "output exists and is not a directory: " + text);
    }
  }
  return path;
}

Result<StagedOutput> StagedOutput::StageFile(const fs::path& target,
                                             std::span<const std::uint8_t> bytes, mode_t mode) {
  auto path = ValidateOutputPath(target, OutputKind::kFile);
  SEEDWELL_RETURN_IF_ERROR(path);
  const fs::path temp = TempBeside(*path);
  StagedOutput staged(*path, temp, OutputKind::kFile);  // removes |temp| on every error below
  const fs::path parent = path->parent_path().empty() ? fs::path(".") : path->parent_path();
  Fd dir(open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return tl::unexpected(IoError(*path, errno));
  if (const int err = WriteFileAt(dir.get(), temp.filename().c_str(), bytes, mode); err != 0) {
    if (err == EEXIST) staged.temp_.clear();  // not ours: never remove it
    return tl::unexpected(IoError(*path, err));
  }
  return staged;
}

Result<StagedOutput> StagedOutput::StageTree(const fs::path& target, const ConfigDriveTree& tree) {
  auto path = ValidateOutputPath(target, OutputKind::kDirectory);
  SEEDWELL_RETURN_IF_ERROR(path);
  const fs::path temp = TempBeside(*path);
  if (mkdir(temp.c_str(), 0700) != 0) return tl::unexpected(IoError(*path, errno));
  StagedOutput staged(*path, temp, OutputKind::kDirectory);
  Fd root(open(temp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.get() < 0) return tl::unexpected(IoError(*path, errno));
  if (const int err = FillTree(root.get(), temp, tree); err != 0) {
    return tl::unexpected(IoError(*path, err));
  }
  if (fchmod(root.get(), tree.HasSecrets() ? 0700 : 0755) != 0 || fsync(root.get()) != 0) {
    return tl::unexpected(IoError(*path, errno));
  }
  return staged;
}

StagedOutput::StagedOutput(StagedOutput&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::move(other.temp_)), kind_(other.kind_) {
  other.temp_.clear();
}

StagedOutput::~StagedOutput() {
  if (!temp_.empty()) RemoveQuietly(temp_);
}

Result<void> StagedOutput::Commit() {
  if (temp_.empty()) return Fail(ErrorCode::kFailedPrecondition, "output already committed");
  int err = 0;
  if (kind_ == OutputKind::kFile) {
    if (rename(temp_.c_str(), target_.c_str()) != 0) err = errno;
  } else {
    err = ReplaceDirectory(temp_, target_);
  }
  if (err != 0) return tl::unexpected(IoError(target_, err));
  temp_.clear();
  if (const int sync_err = FsyncPath(target_.parent_path()); sync_err != 0) {
    return tl::unexpected(IoError(target_, sync_err));
  }
  return {};
}

}  // namespace seedwell
