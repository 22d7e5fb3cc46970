#!/usr/bin/env python3
"""Checks every #include of the project's sources against the layering (make lint).

Dependencies point one way: crypto <- service <- api/egd, api/routes, api/host_rng <- cli, with api/http (the
HTTP server library) resting on crypto alone and guest/ (the guest tool) on crypto alone. Inside
service/, the core may use the Store only through its interface (store/store.h). Third-party
headers stay in the part that needs them. Prints each violation as FILE:LINE: message and exits 1
if there is any. Usage: scripts/check-layering.py [ROOT]
"""
import pathlib
import re
import sys

# (folder of the including file, include prefixes it may use). The most specific folder wins.
# "seedwell/" is the generated version header (cmake/version.h.in).
ALLOWED = {
    "crypto/": ["crypto/", "seedwell/"],
    "service/": ["crypto/", "service/", "seedwell/"],
    "service/store/": ["crypto/", "service/", "seedwell/"],
    "service/config_drive/": ["crypto/", "service/", "seedwell/"],
    "api/http/": ["crypto/", "api/http/", "seedwell/"],
    "api/egd/": ["crypto/", "service/", "api/egd/", "seedwell/"],
    "api/host_rng/": ["crypto/", "service/", "api/host_rng/", "seedwell/"],
    "api/routes/": ["crypto/", "service/", "api/http/", "api/routes/",
                    "api/egd/egd_socket_path.h", "seedwell/"],
    "cli/": ["crypto/", "service/", "api/", "cli/", "guest/", "seedwell/"],
    "guest/": ["crypto/", "guest/", "seedwell/"],
}

# Folders of service/ other than the core, which the core must not reach into (bar store.h).
SERVICE_ROOMS = ["service/store/", "service/config_drive/"]
CORE_MAY_USE = ["service/store/store.h"]

# Third-party headers and the only folders (or files) that may include them.
THIRD_PARTY = {
    "httplib.h": ["api/http/", "api/routes/"],
    "sqlite3.h": ["service/store/sqlite_"],
    "libpq-fe.h": ["service/store/postgres_"],
    "asio": ["api/egd/"],
    "libisofs": ["service/config_drive/iso_image"],
    "CLI/": ["cli/", "guest/"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def folder_rules(path):
    best = max((f for f in ALLOWED if path.startswith(f)), key=len, default=None)
    return best, ALLOWED.get(best, [])


def check(root):
    errors = []
    for top in ("crypto", "service", "api", "cli", "guest"):
        for file in sorted((root / top).rglob("*")):
            if file.suffix not in (".h", ".cpp"):
                continue
            rel = file.relative_to(root).as_posix()
            owner, allowed = folder_rules(rel)
            if rel.rsplit("/", 1)[0] + "/" != owner:
                errors.append(f"{rel}: its folder has no layering rule: add it to "
                              "scripts/check-layering.py (and to README's code map)")
                continue
            for number, line in enumerate(file.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, target = m.groups()
                where = f"{rel}:{number}"
                if kind == '"':
                    if not any(target.startswith(a) for a in allowed):
                        errors.append(f"{where}: {owner} may not include \"{target}\"")
                    elif owner == "service/" and any(target.startswith(r) for r in SERVICE_ROOMS) \
                            and target not in CORE_MAY_USE:
                        errors.append(f"{where}: the service core may not include \"{target}\" "
                                      "(use the Store interface, or move the file into its room)")
                for header, places in THIRD_PARTY.items():
                    if target.startswith(header) and not any(rel.startswith(p) for p in places):
                        errors.append(f"{where}: <{target}> belongs in {', '.join(places)} only")
    return errors


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"layering: {len(errors)} include(s) against the layering (scripts/check-layering.py)")
        return 1
    print("layering: every include points down the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
