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
  app.add_option("--firmware-seed", flags.firmware_seed,
                 "Where to look for the seed the hypervisor passed through firmware: auto "
                 "($CREDENTIALS_DIRECTORY, then fw_cfg, then SMBIOS type 11), credentials, fw-cfg, "
                 "smbios or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "credentials", "fw-cfg", "smbios", "none"}));
  app.add_option("--credential-name", flags.credential_name,
                 "Name of the firmware credential (io.systemd.credential.binary:NAME=...)")
      ->capture_default_str();
  app.add_option("--sysfs", flags.sysfs, "Where sysfs is mounted (firmware tables)")
      ->capture_default_str();
  app.add_flag("--watch-vmgenid", flags.watch_vmgenid,
               "After the first run, stay and listen for the kernel's NEW_VMGENID uevent (this VM "
               "was cloned or restored from a snapshot); on each, fetch and credit a fresh block "
               "and reseed the kernel CRNG (RNDRESEEDCRNG)");
  app.add_flag("--after-vmgenid", flags.after_vmgenid,
               "One run for a VM generation change (the udev rule's service): skip the seed files "
               "(every clone has the same), fetch a fresh block, then RNDRESEEDCRNG");
  app.add_option("--watch-max-events", flags.watch_max_events,
                 "With --watch-vmgenid: exit after this many VM generation changes (0: never)")
      ->capture_default_str();
  app.add_option("--uevent-fd", flags.uevent_fd,
                 "With --watch-vmgenid: read uevents from this inherited descriptor instead of a "
                 "netlink socket (tests)");
  app.footer(
      "Exit status: 0 when every step succeeded (seed file and/or fresh block verified and given "
      "to the kernel), 1 on any failure, other non-zero values for usage errors.");
}

}  // namespace seedwell
