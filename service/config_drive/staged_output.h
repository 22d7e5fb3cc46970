// StagedOutput: writes a config drive beside its target and moves it into place in one step, so a
// reader (or a crash) sees the old target or the complete new one, never a half-written drive.
//
// Staging writes a temporary file or directory named ".<target name>.tmp-<random>" in the target's
// own directory (so the final rename never crosses a file system), creates it exclusively (0600
// file; 0700 directory while it is filled), writes every byte, and fsyncs each file and directory.
// Commit renames it over the target and fsyncs the parent. A directory target that already exists
// is swapped with renameat2(RENAME_EXCHANGE) and the old tree removed afterwards; concurrent
// builds of one target therefore each leave a complete drive and the last commit wins. A
// StagedOutput destroyed without Commit (an error on the way) removes its temporary.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "crypto/result.h"
#include "service/config_drive/config_drive_tree.h"

namespace seedwell {

// OutputKind is what a target is: one image file or a directory tree.
enum class OutputKind { kFile, kDirectory };

// ValidateOutputPath checks |target| before anything is written: it must be non-empty, name an
// entry (not "." or ".."), have an existing parent directory, and not be a symbolic link or an
// entry of the other kind. Returns the normalised target (trailing slashes removed), or
// kInvalidArgument (kNotFound for a missing parent) naming the problem.
Result<std::filesystem::path> ValidateOutputPath(const std::filesystem::path& target,
                                                 OutputKind kind);

// StagedOutput is one staged, not yet committed, output. Movable, not copyable.
class StagedOutput {
 public:
  // StageFile validates |target| and writes |bytes| to a temporary file beside it with |mode|.
  // Errors: ValidateOutputPath's; kPermissionDenied (cannot create: permissions, read-only file
  // system); kResourceExhausted (disk full, quota, file size limit); kUnavailable for other I/O
  // errors. On error nothing is left behind.
  static Result<StagedOutput> StageFile(const std::filesystem::path& target,
                                        std::span<const std::uint8_t> bytes, mode_t mode);

  // StageTree validates |target| and writes |tree| to a temporary directory beside it: secret
  // files 0600, others 0644, directories 0755, and the top directory 0700 when the tree holds a
  // secret (else 0755). Errors as StageFile.
  static Result<StagedOutput> StageTree(const std::filesystem::path& target,
                                        const ConfigDriveTree& tree);

  StagedOutput(StagedOutput&& other) noexcept;
  StagedOutput& operator=(StagedOutput&& other) = delete;
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;
  // ~StagedOutput removes the temporary unless Commit succeeded.
  ~StagedOutput();

  // Commit moves the staged output over the target (see the file comment). On failure the
  // temporary is removed and the target is as it was; kUnavailable names the target.
  Result<void> Commit();

  // target returns the normalised target path.
  const std::filesystem::path& target() const { return target_; }

 private:
  StagedOutput(std::filesystem::path target, std::filesystem::path temp, OutputKind kind)
      : target_(std::move(target)), temp_(std::move(temp)), kind_(kind) {}

  std::filesystem::path target_;
  std::filesystem::path temp_;  // empty once committed or moved from
  OutputKind kind_;
};

}  // namespace seedwell
