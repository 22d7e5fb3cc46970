#include "service/config_drive/iso_image.h"

// libisofs declares struct burn_source (the image reader) only when asked to, for programs that do
// not include libburn's header.
#define LIBISOFS_WITHOUT_LIBBURN 1
#include <libisofs/libisofs.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <vector>

namespace seedwell {
namespace {

constexpr int kBlockBytes = 2048;

std::mutex& BuildMutex() {
  static std::mutex mu;
  return mu;
}

// EnsureIsofs initialises libisofs once per process; false if it cannot be.
bool EnsureIsofs() {
  static const bool ok = [] {
    if (iso_init_with_flag(1) < 0) return false;  // bit0: leave the locale alone
    // Keep libisofs' own messages off stderr; failures come back to us as return codes.
    static char never[] = "NEVER";
    static char prefix[] = "seedwell";
    iso_set_msgs_severities(never, never, prefix);
    return true;
  }();
  return ok;
}

Result<SecretBuffer> Failed(const char* what, int code) {
  return Fail(ErrorCode::kInternal, std::string("iso image: ") + what + " failed (libisofs " +
                                        std::to_string(code) + ")");
}

// Image owns what one build allocates and releases it in the right order: the writer first (it
// joins libisofs' thread), then our stream buffers are wiped while the tree still owns them, then
// the image (which frees them).
class Image {
 public:
  Image() = default;
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;
  Image(Image&&) = delete;
  Image& operator=(Image&&) = delete;
  ~Image() {
    if (source != nullptr) {
      if (!complete) source->cancel(source);
      source->free_data(source);
      free(source);  // NOLINT(cppcoreguidelines-no-malloc): libisofs allocated it with malloc
    }
    if (opts != nullptr) iso_write_opts_free(opts);
    for (const auto& [buffer, size] : buffers) sodium_memzero(buffer, size);
    if (image != nullptr) iso_image_unref(image);
  }
  IsoImage* image = nullptr;
  IsoWriteOpts* opts = nullptr;
  burn_source* source = nullptr;
  bool complete = false;                                        // every block was read
  std::vector<std::pair<unsigned char*, std::size_t>> buffers;  // owned by libisofs' streams
};

int AddFile(Image& img, IsoDir* parent, const std::string& name, const ConfigDriveFile& file,
            std::time_t mtime) {
  // libisofs takes ownership of a malloc'ed buffer; one byte at least, even for an empty file.
  const std::size_t size = file.contents.size();
  auto* buffer = static_cast<unsigned char*>(malloc(size == 0 ? 1 : size));  // NOLINT
  if (buffer == nullptr) return ISO_OUT_OF_MEM;
  if (size > 0) std::memcpy(buffer, file.contents.data(), size);
  IsoStream* stream = nullptr;
  int rc = iso_memory_stream_new(buffer, size, &stream);
  if (rc < 0) {
    sodium_memzero(buffer, size);
    free(buffer);  // NOLINT(cppcoreguidelines-no-malloc)
    return rc;
  }
  IsoFile* node = nullptr;
  rc = iso_tree_add_new_file(parent, name.c_str(), stream, &node);
  if (rc < 0) {
    sodium_memzero(buffer, size);
    iso_stream_unref(stream);  // no node took it: this frees |buffer|
    return rc;
  }
  img.buffers.emplace_back(buffer, size);  // the node took over our reference to the stream
  auto* as_node = reinterpret_cast<IsoNode*>(node);
  iso_node_set_permissions(as_node, file.secret ? 0400 : 0444);
  iso_node_set_uid(as_node, 0);
  iso_node_set_gid(as_node, 0);
  iso_node_set_mtime(as_node, mtime);
  iso_node_set_atime(as_node, mtime);
  iso_node_set_ctime(as_node, mtime);
  return 1;
}

}  // namespace

Result<SecretBuffer> BuildIsoImage(const ConfigDriveTree& tree, const IsoImageOptions& options) {
  if (options.volume_id.empty() || options.volume_id.size() > 32) {
    return Fail(ErrorCode::kInvalidArgument, "volume id must be 1 to 32 characters");
  }
  const std::lock_guard lock(BuildMutex());
  if (!EnsureIsofs()) return Fail(ErrorCode::kInternal, "iso image: libisofs did not initialise");
  const std::time_t mtime = options.mtime_unix_s != 0
                                ? static_cast<std::time_t>(options.mtime_unix_s)
                                : std::time(nullptr);

  Image img;
  int rc = iso_image_new(options.volume_id.c_str(), &img.image);
  if (rc < 0) return Failed("iso_image_new", rc);
  iso_image_set_volume_id(img.image, options.volume_id.c_str());
  iso_image_set_publisher_id(img.image, options.publisher.c_str());

  std::map<std::string, IsoDir*> dirs = {{"", iso_image_get_root(img.image)}};
  for (const auto& path : tree.Directories()) {
    const auto slash = path.rfind('/');
    IsoDir* parent = dirs.at(slash == std::string::npos ? "" : path.substr(0, slash));
    IsoDir* dir = nullptr;
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    rc = iso_tree_add_new_dir(parent, name.c_str(), &dir);
    if (rc < 0) return Failed("adding a directory", rc);
    auto* node = reinterpret_cast<IsoNode*>(dir);
    iso_node_set_permissions(node, 0555);
    iso_node_set_uid(node, 0);
    iso_node_set_gid(node, 0);
    iso_node_set_mtime(node, mtime);
    dirs.emplace(path, dir);
  }
  for (const auto& file : tree.files()) {
    const auto slash = file.path.rfind('/');
    IsoDir* parent = dirs.at(slash == std::string::npos ? "" : file.path.substr(0, slash));
    const std::string name = slash == std::string::npos ? file.path : file.path.substr(slash + 1);
    rc = AddFile(img, parent, name, file, mtime);
    if (rc < 0) return Failed("adding a file", rc);
  }

  rc = iso_write_opts_new(&img.opts, 0);
  if (rc < 0) return Failed("iso_write_opts_new", rc);
  // The names of all three trees match what Nova's `genisoimage -ldots -allow-lowercase
  // -allow-multidot -l -J -r -V config-2` writes (tests/integration/config_drive_test.sh compares
  // `isoinfo -l` and `isoinfo -J -l` of both): ISO 9660 names keep lowercase, map other
  // characters such as '-' to '_' and carry ";1" and a dot when there is no extension; Joliet
  // names are the plain names; Rock Ridge (what cloud-init reads) keeps everything.
  iso_write_opts_set_iso_level(img.opts, 2);             // -l: names up to 31 characters
  iso_write_opts_set_rockridge(img.opts, 1);             // -r
  iso_write_opts_set_joliet(img.opts, 1);                // -J
  iso_write_opts_set_allow_lowercase(img.opts, 1);       // -allow-lowercase
  iso_write_opts_set_allow_full_ascii(img.opts, 0);      // '-' becomes '_', as genisoimage does
  iso_write_opts_set_omit_version_numbers(img.opts, 2);  // bit 1: no ";1" in Joliet names
  iso_write_opts_set_no_force_dots(img.opts, 2);         // bit 1: no trailing '.' in Joliet
  iso_write_opts_set_relaxed_vol_atts(img.opts, 1);      // keep "config-2" as given
  iso_write_opts_set_always_gmt(img.opts, 1);
  rc = iso_image_create_burn_source(img.image, img.opts, &img.source);
  if (rc < 0) {
    img.source = nullptr;
    return Failed("iso_image_create_burn_source", rc);
  }

  const off_t size = img.source->get_size(img.source);
  if (size <= 0 || size % kBlockBytes != 0)
    return Failed("sizing the image", static_cast<int>(size));
  SecretBuffer out(static_cast<std::size_t>(size));
  for (std::size_t offset = 0; offset < out.size(); offset += kBlockBytes) {
    const int got = img.source->read_xt != nullptr
                        ? img.source->read_xt(img.source, out.data() + offset, kBlockBytes)
                        : img.source->read(img.source, out.data() + offset, kBlockBytes);
    if (got != kBlockBytes) return Failed("reading the image", got);
  }
  img.complete = true;
  return out;
}

}  // namespace seedwell
