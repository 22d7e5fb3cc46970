// Block responses: an IssuedBlock written in the two wire forms of crypto/block_wire.h (JSON, or
// the data as an application/octet-stream body with the fields in Seedwell-* headers).
#pragma once

#include <httplib.h>

#include "service/issuer.h"

namespace seedwell {

// WriteJsonBlock sets |res| to 200 with |block| as the application/json form: compact, keys in
// sorted order (nlohmann::json's dump of the same document, byte for byte), written directly
// without a DOM when the text fields need no escaping, which is every block the Issuer makes.
void WriteJsonBlock(const IssuedBlock& block, httplib::Response& res);

// WriteOctetBlock sets |res| to 200 with |block| as the application/octet-stream form. The body
// is a copy of the block's data held by |res| (cpp-httplib owns response bodies as strings).
void WriteOctetBlock(const IssuedBlock& block, httplib::Response& res);

}  // namespace seedwell
