// `seedwell fetch --watch-vmgenid` with injected uevents (a socketpair stands in for netlink):
// the first run happens at once, an unrelated uevent changes nothing, and a NEW_VMGENID event
// starts a run that says why it fetches, skips the seed files and tries the service. The real
// kernel event, a real clone and a real service are in tests/integration/vm_clone_test.sh.
#include "guest/vmgenid_watch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "crypto/encoding.h"
#include "crypto/signing_key.h"
#include "tests/testutil/temp_dir.h"

namespace seedwell {
namespace {

using namespace std::string_literals;

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(VmgenidWatchTest, AGenerationChangeStartsAFetchThatSaysWhy) {
  const testing::TempDir dir;
  std::ofstream(dir.File("random")).put('\0');
  std::ofstream(dir.File("urandom"));
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
  const std::string other = "add@/devices/x\0ACTION=add\0"s;
  const std::string event = "change@/devices/QEMUVGID:00\0ACTION=change\0NEW_VMGENID=1\0"s;
  ASSERT_GT(::send(fds[1], other.data(), other.size(), 0), 0);
  ASSERT_GT(::send(fds[1], event.data(), event.size(), 0), 0);

  FetchFlags flags;
  flags.no_config_drive = true;
  flags.firmware_seed = "none";
  flags.instance_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  flags.public_keys = {ToBase64(SigningKey::Generate().public_key())};
  flags.url = "http://127.0.0.1:1";  // nobody listens: each fetch fails fast
  flags.timeout_seconds = 0.3;
  flags.random_device = dir.File("random");
  flags.urandom_device = dir.File("urandom");
  flags.watch_vmgenid = true;
  flags.watch_max_events = 1;
  flags.uevent_fd = fds[0];
  std::ostringstream out, err;
  const int code = RunVmgenidWatch(flags, out, err);
  EXPECT_EQ(code, 1) << out.str() << err.str();  // the service was unreachable
  const std::string o = out.str();
  EXPECT_EQ(Count(o, "watching for VM generation changes"), 1u) << o;
  EXPECT_EQ(Count(o, "VM generation id changed: this VM was cloned or restored"), 1u) << o;
  EXPECT_EQ(Count(o, "fetching because the VM generation id changed"), 1u) << o;
  // Two runs (boot, then the event), each trying the service; the reseed ioctl fails on a file.
  EXPECT_EQ(Count(err.str(), "fetching a block from http://127.0.0.1:1 failed"), 2u) << err.str();
  EXPECT_EQ(Count(err.str(), "RNDRESEEDCRNG failed"), 1u) << err.str();
  ::close(fds[1]);
}

}  // namespace
}  // namespace seedwell
