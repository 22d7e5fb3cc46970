#include "guest/fetch_cli.h"

namespace seedwell {

void AddFetchOptions(CLI::App& app, FetchFlags& flags) {
  app.add_option("--config-drive", flags.config_drive,
                 "Config drive: a mounted directory or the block device (mounted read-only for "
                 "the run). Default: /dev/disk/by-label/config-2 when present");
  app.add_flag("--no-config-drive", flags.no_config_drive,
               "Ignore any config drive: everything comes from flags");
  app.add_option("--url", flags.url,
                 "Service base URL, http:// only (default: the drive's seedwell.service_url)");
  app.add_option("--token-file", flags.token_file,
                 "File with this instance's token (default: the drive's seedwell/token; without "
                 "one the service identifies the guest by address or metadata proxy)");
  app.add_option(
      "--public-key", flags.public_keys,
      "Trusted Ed25519 public key, base64; repeat for several. Replaces the drive's key");
  app.add_option("--instance-id", flags.instance_id,
                 "This instance's id (default: the drive's meta_data.json uuid)");
  app.add_option("--sealing-key-file", flags.sealing_key_file,
                 "File with this instance's X25519 secret key, base64 (default: the drive's "
                 "seedwell/sealing_key); when set, unsealed blocks are refused");
  app.add_option("--bytes", flags.bytes, "Bytes of entropy to request from the service")
      ->capture_default_str();
  app.add_option("--timeout", flags.timeout_seconds,
                 "Seconds to keep retrying the service (network not up yet, 429, 5xx)")
      ->capture_default_str();
  app.add_flag("--skip-seed-file", flags.skip_seed_file,
               "Do not use the drive's seedwell/seed.json");
  app.add_flag("--offline", flags.offline,
               "Use only the drive's seed file; never contact the service");
  app.add_option("--random-device", flags.random_device, "Device for the RNDADDENTROPY ioctl")
      ->capture_default_str();
  app.add_option("--urandom-device", flags.urandom_device,
                 "Device written to when crediting is not permitted")
      ->capture_default_str();
  app.footer(
      "Exit status: 0 when every step succeeded (seed file and/or fresh block verified and given "
      "to the kernel), 1 on any failure, other non-zero values for usage errors.");
}

}  // namespace seedwell
