#!/usr/bin/env python3
"""Calls seedwell's vendordata route the way Nova's dynamic vendordata client does.

Usage: nova_vendordata_client.py NOVA_CONF INSTANCE_ID PROJECT_ID HOSTNAME

It loads [api] vendordata_dynamic_targets and the [vendordata_dynamic_auth] section from NOVA_CONF
with oslo.config and keystoneauth1 (Debian's packages, the libraries Nova itself uses), then for
each target makes the request of nova/api/metadata/vendordata_dynamic.py: a keystoneauth session
from that section (the admin_token plugin adds X-Auth-Token; no auth_type sends no token), POST
with the JSON body Nova builds (project-id, instance-id, image-id, user-data, hostname, metadata,
boot-roles) and Nova's headers. Prints one JSON line per target:
{"name", "status", "body", "sent_headers"}; exit 1 on a connection error.
"""
import json
import sys

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = "vendordata_dynamic_auth"


def main():
    conf_file, instance_id, project_id, hostname = sys.argv[1:5]
    conf = cfg.ConfigOpts()
    conf.register_opts([cfg.ListOpt("vendordata_dynamic_targets", default=[]),
                        cfg.IntOpt("vendordata_dynamic_connect_timeout", default=5),
                        cfg.IntOpt("vendordata_dynamic_read_timeout", default=5)], group="api")
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)
    conf(["--config-file", conf_file], project="nova", default_config_files=[])

    auth = ks_loading.load_auth_from_conf_options(conf, GROUP)  # None: no auth_type set
    session = ks_loading.load_session_from_conf_options(conf, GROUP, auth=auth)
    body = {"project-id": project_id,
            "instance-id": instance_id,
            "image-id": "7c0a0b1e-3b5a-4c7e-8f0e-0d9a1b2c3d4e",
            "user-data": "I2Nsb3VkLWNvbmZpZwo=",
            "hostname": hostname,
            "metadata": {"role": "web"},
            "boot-roles": "member,reader"}
    headers = {"Content-Type": "application/json",
               "Accept": "application/json",
               "User-Agent": "openstack-nova-vendordata"}
    timeout = (conf.api.vendordata_dynamic_connect_timeout, conf.api.vendordata_dynamic_read_timeout)
    for target in conf.api.vendordata_dynamic_targets:
        name, url = target.split("@", 1)
        try:
            res = session.request(url, "POST", data=json.dumps(body), headers=headers,
                                  timeout=timeout, raise_exc=False)
        except ks_exceptions.connection.ConnectionError as e:
            print("connection error: %s" % e, file=sys.stderr)
            return 1
        sent = dict(res.request.headers)
        print(json.dumps({"name": name, "status": res.status_code,
                          "body": res.json() if res.text else None,
                          "sent_headers": {k: v for k, v in sent.items()
                                           if k.lower() in ("x-auth-token", "authorization",
                                                            "content-type", "accept")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
