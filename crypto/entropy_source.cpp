#include "crypto/entropy_source.h"

namespace seedwell {

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kHardware:
      return "hardware";
    case SourceKind::kKernel:
      return "kernel";
    case SourceKind::kUpstream:
      return "upstream";
  }
  return "unknown";
}

}  // namespace seedwell
