#include "guest/vmgenid_watch.h"

#include <chrono>

#include "crypto/vmgenid_events.h"
#include "guest/fetch.h"

namespace seedwell {
namespace {

constexpr std::string_view kPrefix = "seedwell-fetch: ";
constexpr std::chrono::milliseconds kWaitSlice{60000};

}  // namespace

int RunVmgenidWatch(const FetchFlags& flags, std::ostream& out, std::ostream& err) {
  auto listener = flags.uevent_fd >= 0
                      ? Result<UeventListener>(UeventListener::FromFd(flags.uevent_fd))
                      : UeventListener::Open();
  if (!listener) {
    err << kPrefix << "cannot watch for VM generation changes: " << listener.error().message
        << "\n";
    return 1;
  }
  FetchFlags once = flags;
  once.watch_vmgenid = false;
  int code = RunFetch(once, out, err);
  out << kPrefix << "watching for VM generation changes (NEW_VMGENID uevents)" << std::endl;
  once.after_vmgenid = true;
  for (int handled = 0; flags.watch_max_events == 0 || handled < flags.watch_max_events;) {
    auto event = listener->WaitForVmgenid(kWaitSlice);
    if (!event) {
      err << kPrefix << "uevent socket failed: " << event.error().message << "\n";
      return 1;
    }
    if (!*event) continue;
    ++handled;
    out << kPrefix << "VM generation id changed: this VM was cloned or restored from a snapshot"
        << std::endl;
    code = RunFetch(once, out, err);
    out.flush();
  }
  return code;
}

}  // namespace seedwell
