// Config drive ISO builds per second: seedwell's in-process libisofs writer against Nova's way,
// genisoimage with Nova's flags run as a subprocess on the same tree, in one run.
//
//   BM_IsoInProcess/memory   BuildIsoImage into memory (what the admin route answers with)
//   BM_IsoInProcess/file     the same, then written to a file (no fsync, like genisoimage)
//   BM_Genisoimage           posix_spawn of genisoimage -o IMG -ldots -allow-lowercase
//                            -allow-multidot -l -publisher P -quiet -J -r -V config-2 DIR; waitpid
//
// The tree is a real drive (BuildConfigDriveTree: nine versions, ec2, a 4096-byte seed file)
// written once to a temporary directory for genisoimage. Results: docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "service/config_drive/config_drive_content.h"
#include "service/config_drive/iso_image.h"
#include "service/config_drive/staged_output.h"

extern char** environ;  // NOLINT: POSIX

namespace seedwell {
namespace {

namespace fs = std::filesystem;

// Fixture holds one drive's tree, on disk too, for the life of the program.
struct Fixture {
  Fixture() {
    std::string pattern = (fs::temp_directory_path() / "seedwell-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    const SigningKey key = SigningKey::Generate();
    ConfigDriveContent content;
    content.instance.id = "6a1f2c1e-9a55-4b39-9d3c-1f0a0b6c7d8e";
    content.instance.project_id = "bench";
    content.instance.hostname = "vm-1";
    content.service = {"http://169.254.169.254", key.kid(), ToBase64(key.public_key())};
    content.user_data = "#cloud-config\nhostname: vm-1\n";
    content.now_unix_ms = 1'700'000'000'000;
    auto built =
        BuildConfigDriveTree(content, key, [](std::span<std::uint8_t> out) -> Result<void> {
          randombytes_buf(out.data(), out.size());
          return {};
        });
    if (!built) throw std::runtime_error(built.error().message);
    tree = std::move(*built);
    auto staged = StagedOutput::StageTree(dir / "tree", tree);
    if (!staged || !staged->Commit()) throw std::runtime_error("cannot write the tree");
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  fs::path dir;
  ConfigDriveTree tree;
};

Fixture& Shared() {
  static Fixture fixture;
  return fixture;
}

void BM_IsoInProcess(benchmark::State& state) {
  Fixture& f = Shared();
  const bool to_file = state.range(0) == 1;
  const std::string out = (f.dir / "inproc.iso").string();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto image = BuildIsoImage(f.tree, IsoImageOptions{});
    if (!image) {
      state.SkipWithError(image.error().message.c_str());
      return;
    }
    bytes = image->size();
    if (to_file) {
      const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const bool ok =
          fd >= 0 && write(fd, image->data(), image->size()) == static_cast<ssize_t>(image->size());
      if (fd >= 0) close(fd);
      if (!ok) {
        state.SkipWithError("write failed");
        return;
      }
    }
  }
  state.counters["image_bytes"] = static_cast<double>(bytes);
  state.counters["builds_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_IsoInProcess)->ArgName("file")->Arg(0)->Arg(1)->UseRealTime();

void BM_Genisoimage(benchmark::State& state) {
  Fixture& f = Shared();
  const std::string out = (f.dir / "nova.iso").string();
  const std::string tree = (f.dir / "tree").string();
  std::vector<std::string> args = {"genisoimage",
                                   "-o",
                                   out,
                                   "-ldots",
                                   "-allow-lowercase",
                                   "-allow-multidot",
                                   "-l",
                                   "-publisher",
                                   "seedwell bench",
                                   "-quiet",
                                   "-J",
                                   "-r",
                                   "-V",
                                   "config-2",
                                   tree};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto _ : state) {
    pid_t pid = 0;
    if (posix_spawnp(&pid, "genisoimage", nullptr, nullptr, argv.data(), environ) != 0) {
      state.SkipWithError("genisoimage not installed (scripts/install-deps.sh test)");
      return;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("genisoimage failed");
      return;
    }
  }
  state.counters["image_bytes"] = static_cast<double>(fs::file_size(out));
  state.counters["builds_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Genisoimage)->UseRealTime();

}  // namespace
}  // namespace seedwell

BENCHMARK_MAIN();
