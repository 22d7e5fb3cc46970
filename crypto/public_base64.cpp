#include "crypto/public_base64.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstddef>

namespace seedwell {

void AppendPublicBase64(std::string& out, std::span<const std::uint8_t> bytes) {
  // EVP_EncodeBlock takes an int length; a chunk of 3 MiB (a multiple of 3) keeps within it.
  for (std::size_t done = 0; done < bytes.size();) {
    const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, std::size_t{3} << 20U);
    const std::size_t start = out.size();
    out.resize(start + (chunk + 2) / 3 * 4 + 1);  // EVP_EncodeBlock writes a terminating NUL
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                        bytes.data() + done, static_cast<int>(chunk));
    out.resize(start + static_cast<std::size_t>(written));
    done += chunk;
  }
}

}  // namespace seedwell
