#!/usr/bin/env bash
# Installs the real MTAs the interop suite (test/interop/) drives, on Debian 12
# as root, non-interactively and idempotently:
#   - postfix and swaks with apt (postfix is the one MTA the system "has");
#   - exim4-daemon-light and opensmtpd unpacked into test/interop/.mta/ with
#     apt-get download + dpkg-deb -x, because the three MTA packages conflict
#     (each provides mail-transport-agent); their libraries come from apt.
# No MTA is left running: services are kept from starting while installing,
# and a system postfix that runs anyway is stopped with its own command.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

here="$(cd "$(dirname "$0")" && pwd)"
mta_dir="$here/.mta"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-mtas: must run as root (apt-get, system users)" >&2
  exit 1
fi

# Runtime libraries of the unpacked exim4-daemon-light and opensmtpd binaries
# (their Depends: lines in bookworm), plus what apt-installed MTAs need.
apt_packages=(
  postfix swaks libnet-ssleay-perl openssl ca-certificates adduser libsasl2-modules
  libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1
  libevent-2.1-7 libpam0g libssl3 zlib1g
)
unpacked_packages=(exim4-daemon-light opensmtpd)

# Keep invoke-rc.d from starting any service while packages install; put back
# whatever policy was there before.
policy=/usr/sbin/policy-rc.d
policy_backup=""
restore_policy() {
  if [ -n "$policy_backup" ]; then mv -f "$policy_backup" "$policy"; else rm -f "$policy"; fi
}
if [ -e "$policy" ]; then
  policy_backup="$(mktemp)"
  cp -p "$policy" "$policy_backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# install-mtas.sh: no service starts while installing\nexit 101\n' >"$policy"
chmod 755 "$policy"

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=0
[ ${#missing[@]} -gt 0 ] && need_update=1
for p in "${unpacked_packages[@]}"; do
  [ -f "$mta_dir/$p.stamp" ] || need_update=1
done
if [ "$need_update" -eq 1 ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-mtas: installing ${missing[*]}"
  # "No configuration": postinst writes no main.cf and starts nothing; the tests bring their own.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

# A system postfix left running would hold :25 and confuse anyone reading the
# process list; the tests start their own instances with their own config.
if [ -f /etc/postfix/main.cf ] && postfix status >/dev/null 2>&1; then
  echo "install-mtas: stopping the system postfix the package started"
  postfix stop
fi

# Unpack the conflicting MTAs; the stamp holds the version unpacked.
mkdir -p "$mta_dir"
for p in "${unpacked_packages[@]}"; do
  candidate="$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')"
  if [ -f "$mta_dir/$p.stamp" ] && [ "$(cat "$mta_dir/$p.stamp")" = "$candidate" ]; then
    continue
  fi
  echo "install-mtas: unpacking $p $candidate into $mta_dir"
  work="$(mktemp -d)"
  chmod 755 "$work" # apt fetches as _apt and warns when it cannot write there
  (cd "$work" && apt-get download -qq "$p")
  dpkg-deb -x "$work"/"$p"_*.deb "$mta_dir/root"
  rm -rf "$work"
  echo "$candidate" >"$mta_dir/$p.stamp"
done

# The system users and directories the packages' postinst scripts would have
# made (same names and options): the binaries look them up by name.
id Debian-exim >/dev/null 2>&1 ||
  adduser --system --group --quiet --home /var/spool/exim4 --no-create-home --disabled-login --force-badname Debian-exim
for name in opensmtpd opensmtpq; do
  id -g "$name" >/dev/null 2>&1 || addgroup --system --quiet "$name"
  id "$name" >/dev/null 2>&1 ||
    adduser --system --quiet --home /var/lib/opensmtpd/empty --no-create-home --disabled-password --ingroup "$name" "$name"
done
# OpenSMTPD chroots its unprivileged processes here (compiled-in path), and
# the tests mount a throw-away spool over its compiled-in spool directory.
install -d -o root -g root -m 755 /var/lib/opensmtpd/empty
install -d -o root -g root -m 711 /var/spool/smtpd

if command -v ss >/dev/null && ss -ltn 'sport = :25' | grep -q LISTEN; then
  echo "install-mtas: something still listens on :25" >&2
  exit 1
fi
echo "install-mtas: ok: postfix $(postconf -d -h mail_version)$(for p in "${unpacked_packages[@]}"; do printf ', %s %s' "$p" "$(cat "$mta_dir/$p.stamp")"; done)"
