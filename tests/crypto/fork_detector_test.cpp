#include "crypto/fork_detector.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace seedwell {
namespace {

// GenerationInChild forks with |raw_syscall| (bypassing libc's fork and its atfork handlers)
// or with fork(), and returns the generation the child observed, or 0 on any failure.
std::uint64_t GenerationInChild(bool raw_syscall) {
  int fds[2];
  if (pipe(fds) != 0) return 0;
  const pid_t pid = raw_syscall ? static_cast<pid_t>(syscall(SYS_fork)) : fork();
  if (pid < 0) return 0;
  if (pid == 0) {
    close(fds[0]);
    const std::uint64_t generation = ForkDetector::Generation();
    const bool ok = write(fds[1], &generation, sizeof(generation)) == sizeof(generation);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::uint64_t generation = 0;
  if (read(fds[0], &generation, sizeof(generation)) != sizeof(generation)) generation = 0;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? generation : 0;
}

TEST(ForkDetectorTest, StableWithinAProcess) {
  const std::uint64_t first = ForkDetector::Generation();
  EXPECT_NE(first, 0u);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(ForkDetector::Generation(), first);
  std::printf("fork detection mode: %s\n",
              std::string(ForkDetector::ModeName(ForkDetector::Mode())).c_str());
}

TEST(ForkDetectorTest, ChildSeesANewGenerationParentDoesNot) {
  const std::uint64_t parent = ForkDetector::Generation();
  const std::uint64_t child = GenerationInChild(/*raw_syscall=*/false);
  ASSERT_NE(child, 0u);
  EXPECT_NE(child, parent);
  EXPECT_EQ(ForkDetector::Generation(), parent);
}

TEST(ForkDetectorTest, GrandchildSeesADifferentGenerationFromChild) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::uint64_t parent = ForkDetector::Generation();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    const std::uint64_t child = ForkDetector::Generation();
    const std::uint64_t grandchild = GenerationInChild(false);
    const std::uint64_t both[2] = {child, grandchild};
    _exit(write(fds[1], both, sizeof(both)) == sizeof(both) ? 0 : 1);
  }
  close(fds[1]);
  std::uint64_t both[2] = {0, 0};
  ASSERT_EQ(read(fds[0], both, sizeof(both)), static_cast<ssize_t>(sizeof(both)));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_NE(both[1], 0u);
  EXPECT_NE(both[0], parent);
  EXPECT_NE(both[1], both[0]);
  EXPECT_NE(both[1], parent);
}

TEST(ForkDetectorTest, RawForkSyscallIsCaughtOnlyByWipeOnFork) {
  const std::uint64_t parent = ForkDetector::Generation();
  const std::uint64_t child = GenerationInChild(/*raw_syscall=*/true);
  ASSERT_NE(child, 0u);
  if (ForkDetector::Mode() == ForkDetectionMode::kWipeOnFork) {
    EXPECT_NE(child, parent);  // no atfork handler ran: only the wiped page can tell
  } else {
    EXPECT_EQ(child, parent);  // the documented limit of the pthread_atfork fallback
  }
}

TEST(ForkDetectorTest, ModeNames) {
  EXPECT_EQ(ForkDetector::ModeName(ForkDetectionMode::kWipeOnFork), "wipeonfork");
  EXPECT_EQ(ForkDetector::ModeName(ForkDetectionMode::kAtForkOnly), "atfork");
}

}  // namespace
}  // namespace seedwell
