#include "api/routes/openstack_routes.h"

#include <string>

#include "api/http/json_error.h"
#include "crypto/encoding.h"
#include "crypto/secret_buffer.h"
#include "service/config_drive/metadata_document.h"

namespace seedwell {
namespace {

using httplib::Request;
using httplib::Response;

// AtLeast reports whether |version| is |since| or newer ("latest" is the newest).
bool AtLeast(std::string_view version, std::string_view since) {
  return version == "latest" || version >= since;
}

bool HasFile(std::string_view version, std::string_view file) {
  if (file == "meta_data.json") return true;
  if (file == "vendor_data.json") return AtLeast(version, "2013-10-17");
  if (file == "network_data.json") return AtLeast(version, "2015-10-15");
  if (file == "vendor_data2.json") return AtLeast(version, "2016-10-06");
  return false;
}

void NotFound(Response& res) {
  WriteGuestError(res, Error{ErrorCode::kNotFound, "no such metadata path"});
}

void Versions(const Request&, Response& res) {
  res.set_content(OpenStackVersionListing(), "text/plain; charset=utf-8");
}

void Files(const Request& req, Response& res) {
  const std::string version = req.matches[1].str();
  if (!IsOpenStackVersion(version)) return NotFound(res);
  std::string body;
  for (const char* file :
       {"meta_data.json", "vendor_data.json", "network_data.json", "vendor_data2.json"}) {
    if (HasFile(version, file)) body += std::string(file) + "\n";
  }
  res.set_content(body, "text/plain; charset=utf-8");
}

void MetaData(GuestApi& api, const GuestIdentity& who, const std::string& version, Response& res) {
  SecretArray<kRandomSeedBytes> seed;
  std::chrono::milliseconds retry_after{0};
  if (auto drawn = api.ctx().dispenser.Draw(*who.instance, seed.span(), UsageTransport::kOpenStack,
                                            &retry_after);
      !drawn) {
    return WriteGuestError(res, drawn.error(), retry_after);
  }
  const auto key = api.ctx().keys.ActiveKey();
  GuestServiceInfo service{api.ctx().public_url, key->kid(), ToBase64(key->public_key())};
  auto doc = BuildMetaData(*who.instance, version, seed.span(), service);
  if (!doc) return WriteGuestError(res, doc.error());
  res.set_header("Cache-Control", "no-store");
  WriteJson(res, 200, *doc);
}

void Document(GuestApi& api, const Request& req, Response& res) {
  const std::string version = req.matches[1].str();
  const std::string file = req.matches[2].str();
  if (!IsOpenStackVersion(version) || !HasFile(version, file)) return NotFound(res);
  auto who = api.Identify(req, res);
  if (!who) return;
  if (who->mode == IdentityMode::kAnonymous) {
    return WriteGuestError(
        res, Error{ErrorCode::kUnauthenticated, "metadata needs a registered instance"});
  }
  if (file == "meta_data.json") return MetaData(api, *who, version, res);
  if (file == "network_data.json") {
    return WriteJson(res, 200,
                     {{"links", nlohmann::json::array()},
                      {"networks", nlohmann::json::array()},
                      {"services", nlohmann::json::array()}});
  }
  WriteJson(res, 200, nlohmann::json::object());  // vendor_data.json, vendor_data2.json
}

}  // namespace

void RegisterOpenStackRoutes(HttpServer& server, GuestApi& api) {
  server.Get("/openstack/?", Versions);
  server.Get("/openstack/([^/]+)/?", Files);
  server.Get("/openstack/([^/]+)/([^/]+)",
             [&api](const Request& req, Response& res) { Document(api, req, res); });
}

}  // namespace seedwell
