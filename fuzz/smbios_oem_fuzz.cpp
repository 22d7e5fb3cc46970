// libFuzzer target: the guest tool's parser of SMBIOS type 11 structures (guest/firmware_seed.h),
// whose bytes come from the hypervisor through /sys/firmware/dmi/entries/11-*/raw, and the
// credential lookup over whatever strings it returns. Every returned string must lie inside the
// input and hold no NUL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "guest/firmware_seed.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> raw(data, size);
  auto strings = seedwell::ParseSmbiosOemStrings(raw);
  if (!strings) return 0;
  const char* begin = reinterpret_cast<const char*>(data);
  for (const std::string_view s : *strings) {
    if (s.empty() || s.data() < begin || s.data() + s.size() > begin + size) std::abort();
    if (s.find('\0') != std::string_view::npos) std::abort();
  }
  (void)seedwell::CredentialFromOemStrings(*strings, "seedwell.seed");
  return 0;
}
