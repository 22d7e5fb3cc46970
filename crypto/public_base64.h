// Public base64: standard base64 (RFC 4648 section 4, '=' padding) for values anyone may see, by
// OpenSSL's table-driven EVP_EncodeBlock, five to six times faster than libsodium's constant-time
// encoder (crypto/encoding.h). Its memory accesses depend on the byte values, so it is only for
// public values (signatures, hashes, public keys), never for secrets or entropy. Kept apart from
// encoding.h so that the guest tool and the fuzzers, which compile encoding.cpp without OpenSSL,
// stay free of it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace seedwell {

// AppendPublicBase64 appends the standard base64 encoding of |bytes| to |out| (the same text as
// ToBase64 and AppendBase64 in encoding.h).
void AppendPublicBase64(std::string& out, std::span<const std::uint8_t> bytes);

}  // namespace seedwell
