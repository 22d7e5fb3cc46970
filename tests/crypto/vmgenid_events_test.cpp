// The NEW_VMGENID uevent test and the listener, fed through a socketpair standing in for the
// netlink socket (the VM test, tests/integration/vm_clone_test.sh, uses the real kernel).
#include "crypto/vmgenid_events.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace seedwell {
namespace {

using namespace std::string_literals;
using std::chrono::milliseconds;

// What the kernel's vmgenid driver sends (drivers/virt/vmgenid.c, kobject_uevent_env).
const std::string kVmgenid =
    "change@/devices/LNXSYSTM:00/LNXSYBUS:00/QEMUVGID:00\0ACTION=change\0"
    "DEVPATH=/devices/LNXSYSTM:00/LNXSYBUS:00/QEMUVGID:00\0SUBSYSTEM=acpi\0NEW_VMGENID=1\0"
    "SEQNUM=1234\0"s;

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(VmgenidUeventTest, RecognisesTheKernelsMessageOnly) {
  EXPECT_TRUE(IsNewVmgenidUevent(Bytes(kVmgenid)));
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("add@/devices/x\0ACTION=add\0SUBSYSTEM=block\0"s)));
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("change@/x\0NEW_VMGENID=0\0"s)));
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("change@/x\0NEW_VMGENID=10\0"s)));
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("change@/x\0XNEW_VMGENID=1\0"s)));
  // libudev's rebroadcast (group 2) starts "libudev\0" and is not read.
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("libudev\0NEW_VMGENID=1\0"s)));
  EXPECT_FALSE(IsNewVmgenidUevent(Bytes("NEW_VMGENID=1"s)));
  EXPECT_FALSE(IsNewVmgenidUevent({}));
  // The last pair may lack its NUL.
  EXPECT_TRUE(IsNewVmgenidUevent(Bytes("change@/x\0NEW_VMGENID=1"s)));
}

TEST(VmgenidUeventTest, TheKernelsForkRecordInKmsg) {
  EXPECT_TRUE(IsVmForkKmsgRecord(
      Bytes("5,812,86242656,-;random: crng reseeded due to virtual machine fork\n"s)));
  EXPECT_TRUE(IsVmForkKmsgRecord(
      Bytes("5,812,86242656,-;random: crng reseeded due to virtual machine fork\n"
            " SUBSYSTEM=x\n"s)));
  // Facility user (PRI >= 8): a process wrote it to /dev/kmsg.
  EXPECT_FALSE(
      IsVmForkKmsgRecord(Bytes("13,812,1,-;random: crng reseeded due to virtual machine fork\n"s)));
  EXPECT_FALSE(IsVmForkKmsgRecord(Bytes("5,812,1,-;random: crng init done\n"s)));
  EXPECT_FALSE(IsVmForkKmsgRecord(Bytes("x,1,1,-;crng reseeded due to virtual machine fork"s)));
  EXPECT_FALSE(IsVmForkKmsgRecord(Bytes("crng reseeded due to virtual machine fork"s)));
  EXPECT_FALSE(IsVmForkKmsgRecord({}));
  // The message is only the first line: continuation lines do not count.
  EXPECT_FALSE(
      IsVmForkKmsgRecord(Bytes("5,1,1,-;hello\n crng reseeded due to virtual machine fork\n"s)));
}

TEST(UeventListenerTest, WaitsSkipsOtherEventsAndReportsAGenerationChange) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
  UeventListener listener = UeventListener::FromFd(fds[0]);
  auto idle = listener.WaitForVmgenid(milliseconds(50));
  ASSERT_TRUE(idle);
  EXPECT_FALSE(*idle);

  const std::string other = "add@/devices/x\0ACTION=add\0"s;
  ASSERT_EQ(::send(fds[1], other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
  auto skipped = listener.WaitForVmgenid(milliseconds(50));
  ASSERT_TRUE(skipped);
  EXPECT_FALSE(*skipped);

  ASSERT_EQ(::send(fds[1], other.data(), other.size(), 0), static_cast<ssize_t>(other.size()));
  ASSERT_EQ(::send(fds[1], kVmgenid.data(), kVmgenid.size(), 0),
            static_cast<ssize_t>(kVmgenid.size()));
  auto event = listener.WaitForVmgenid(milliseconds(1000));
  ASSERT_TRUE(event);
  EXPECT_TRUE(*event);
  ::close(fds[1]);
}

TEST(UeventListenerTest, TheRealNetlinkSocketOpensOrSaysWhy) {
  auto listener = UeventListener::Open();
  if (!listener) {
    EXPECT_EQ(listener.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(listener.error().message.find("netlink"), std::string::npos);
    return;
  }
  auto idle = listener->WaitForVmgenid(milliseconds(10));
  ASSERT_TRUE(idle);
}

}  // namespace
}  // namespace seedwell
