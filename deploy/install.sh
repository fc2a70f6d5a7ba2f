#!/bin/bash
# install.sh: install or update kyso on a Debian-family machine: a kiosk on
# Raspberry Pi OS (64-bit) in a cultural house, or the ward in the commune
# office. See deploy/README.md.
#
#   sudo ./install.sh --role kiosk --binary ./kiosk-linux-arm64
#   sudo ./install.sh --role ward  --binary ./ward-linux-amd64
#   ./install.sh --role kiosk --binary ./kiosk --destdir /tmp/root   (no root needed)
#
# Idempotent: run it again to upgrade or repair. It never overwrites the
# settings in /etc/kyso/<role>.env (it only appends, switched off, variables
# that a newer version knows and the file lacks) and never makes secrets: the
# programs generate the PIN and the admin password at their first start.
#
# With --destdir the tree is written under DIR and nothing else is touched: no
# user is created, no owner changed, no systemctl, no raspi-config. What would
# have been done is written to DIR/kyso-install-<role>.plan.
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
role=kiosk
binary=""
destdir=""
tv=1

usage() {
	cat <<'EOF'
usage: install.sh [--role kiosk|ward] [--binary PATH] [--destdir DIR] [--no-tv]

  --role kiosk|ward  what this machine runs (default kiosk)
  --binary PATH      the program to install as /usr/local/bin/<role>
                     (dist/kiosk-linux-arm64, dist/ward-linux-amd64, ...);
                     may be left out when upgrading only the scripts
  --destdir DIR      write everything under DIR (a scratch root) and record
                     the system changes in DIR/kyso-install-<role>.plan
  --no-tv            kiosk without a TV: no Chromium autostart, no autologin
EOF
}

die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}
say() { printf '%s\n' "$*"; }

while [ $# -gt 0 ]; do
	case $1 in
	--role | --binary | --destdir)
		[ $# -ge 2 ] || die "$1 needs a value"
		case $1 in
		--role) role=$2 ;;
		--binary) binary=$2 ;;
		--destdir) destdir=$2 ;;
		esac
		shift 2
		;;
	--role=*) role=${1#*=} && shift ;;
	--binary=*) binary=${1#*=} && shift ;;
	--destdir=*) destdir=${1#*=} && shift ;;
	--no-tv) tv=0 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option: $1" ;;
	esac
done

case $role in
kiosk | ward) ;;
*) die "--role must be kiosk or ward, not '$role'" ;;
esac
[ "$role" = kiosk ] || tv=0

root=""
if [ -n "$destdir" ]; then
	mkdir -p "$destdir"
	root=$(cd "$destdir" && pwd)
	[ "$root" != / ] || root=""
fi
[ -z "$destdir" ] || [ -n "$root" ] || die "--destdir / is the real system: leave --destdir out"

if [ -z "$destdir" ]; then
	[ "$(id -u)" -eq 0 ] || die "run it as root (sudo), or try it out with --destdir DIR"
	command -v systemctl >/dev/null || die "systemd is required"
fi

if [ -n "$binary" ]; then
	if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
		die "$binary is not an executable file"
	fi
	if [ -z "$destdir" ] && ! "$binary" --version >/dev/null 2>&1; then
		case $(uname -m) in
		armv6l | armv7l | i?86)
			die "$binary does not run on this $(uname -m) system: kyso needs a 64-bit OS (Badger does not work on 32-bit); flash Raspberry Pi OS (64-bit)"
			;;
		esac
		die "$binary --version failed: wrong architecture (use dist/$role-linux-$(dpkg --print-architecture 2>/dev/null || uname -m)) or a damaged file"
	fi
elif [ ! -x "$root/usr/local/bin/$role" ]; then
	die "no $role program installed yet: pass --binary (e.g. --binary dist/$role-linux-arm64)"
fi

# --- side effects: run them, or write them down under --destdir -----------

plan=()
changed=0
tmp=""
trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT

# side runs a command that changes the system outside the tree.
side() {
	if [ -n "$destdir" ]; then
		plan+=("$*")
	else
		"$@"
	fi
}

# own sets the owner of a path of the tree (the plan names it without DIR).
own() {
	if [ -n "$destdir" ]; then
		plan+=("chown $1 $2")
	else
		chown "$1" "$2"
	fi
}

# put installs SRC as DEST with MODE, atomically, only when its content differs.
put() {
	local src=$1 dest=$root$2 mode=$3
	mkdir -p "$(dirname "$dest")"
	if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
		chmod "$mode" "$dest"
		return 0
	fi
	tmp=$(mktemp "$dest.XXXXXX")
	cp "$src" "$tmp"
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$dest"
	tmp=""
	changed=1
}

# keep installs SRC as DEST with MODE only when DEST does not exist yet.
keep() {
	local src=$1 dest=$root$2 mode=$3
	if [ ! -e "$dest" ]; then
		mkdir -p "$(dirname "$dest")"
		tmp=$(mktemp "$dest.XXXXXX")
		cp "$src" "$tmp"
		chmod "$mode" "$tmp"
		mv -f "$tmp" "$dest"
		tmp=""
	fi
	chmod "$mode" "$dest"
}

# dir creates DIR with MODE.
dir() {
	mkdir -p "$root$1"
	chmod "$2" "$root$1"
}

# --- the service user ---------------------------------------------------------

if [ -n "$destdir" ]; then
	side useradd --system --user-group --home-dir /var/lib/kyso --no-create-home --shell /usr/sbin/nologin kyso "(if missing)"
elif ! getent passwd kyso >/dev/null; then
	if getent group kyso >/dev/null; then
		useradd --system --gid kyso --home-dir /var/lib/kyso --no-create-home --shell /usr/sbin/nologin --comment "kyso service" kyso
	else
		useradd --system --user-group --home-dir /var/lib/kyso --no-create-home --shell /usr/sbin/nologin --comment "kyso service" kyso
	fi
	say "created the system user kyso"
fi

# --- directories, program, units ------------------------------------------------

dir /etc/kyso 0750
own root:kyso /etc/kyso
dir /var/lib/kyso 0750
own kyso:kyso /var/lib/kyso

if [ -n "$binary" ]; then
	put "$binary" "/usr/local/bin/$role" 0755
fi
put "$here/kyso-run.sh" /usr/local/sbin/kyso-run 0755
put "$here/kyso-$role.service" "/etc/systemd/system/kyso-$role.service" 0644
put "$here/README.md" /usr/local/share/doc/kyso/README.md 0644
put "$here/$role.env.example" "/usr/local/share/doc/kyso/$role.env.example" 0644
if [ "$role" = kiosk ]; then
	put "$here/kyso-backup.service" /etc/systemd/system/kyso-backup.service 0644
	put "$here/kyso-backup.timer" /etc/systemd/system/kyso-backup.timer 0644
	put "$here/backup-usb.sh" /usr/local/sbin/kyso-backup-usb 0755
fi

# --- settings: created once, then only completed ----------------------------------

env=/etc/kyso/$role.env
keep "$here/$role.env.example" "$env" 0640
added=0
while IFS= read -r line; do
	key=${line#\#}
	key=${key%%=*}
	if ! grep -Eq "^[[:space:]]*#?[[:space:]]*$key=" "$root$env"; then
		if [ "$added" -eq 0 ]; then
			printf '\n# Added by install.sh: settings new in this version, switched off.\n# See /usr/local/share/doc/kyso/%s.env.example\n' "$role" >>"$root$env"
			added=1
		fi
		printf '#%s\n' "${line#\#}" >>"$root$env"
	fi
done < <(grep -E '^#?KYSO_[A-Z0-9_]+=' "$here/$role.env.example")
[ "$added" -eq 0 ] || say "added new settings (switched off) to $env"
own root:kyso "$env"

# --- the TV: Chromium in kiosk mode in the desktop session -------------------------

if [ "$tv" -eq 1 ]; then
	put "$here/kyso-tv.sh" /usr/local/bin/kyso-tv 0755
	# XDG autostart: Raspberry Pi OS runs it in its labwc, wayfire and X11
	# (LXDE) sessions alike, through lxsession-xdg-autostart.
	put "$here/kyso-tv.desktop" /etc/xdg/autostart/kyso-tv.desktop 0644
	if [ ! -e "$root/etc/default/kyso-tv" ]; then
		mkdir -p "$root/etc/default"
		cat >"$root/etc/default/kyso-tv" <<'EOF'
# Settings of kyso-tv, which shows the board on the TV; all of them are listed
# at the top of /usr/local/bin/kyso-tv. Change the URL when KYSO_LISTEN changes.
#KYSO_TV_URL=http://localhost:8080/
EOF
	fi
	chmod 0644 "$root/etc/default/kyso-tv"
	if [ -n "$destdir" ]; then
		side raspi-config nonint do_blanking 1 "(if raspi-config and a desktop are present)"
		side raspi-config nonint do_boot_behaviour B4 "(desktop autologin, same condition)"
	elif command -v raspi-config >/dev/null &&
		{ [ -x /usr/bin/lxsession-xdg-autostart ] || command -v labwc || command -v wayfire; } >/dev/null; then
		# 1 = no blanking; B4 = boot to the desktop, logged in automatically.
		raspi-config nonint do_blanking 1 || say "warning: could not turn screen blanking off (raspi-config)"
		raspi-config nonint do_boot_behaviour B4 || say "warning: could not turn on desktop autologin (raspi-config)"
		command -v chromium >/dev/null || command -v chromium-browser >/dev/null ||
			say "warning: Chromium is missing, the TV stays empty: sudo apt-get install chromium"
	else
		say "note: no Raspberry Pi desktop found: the TV board needs Raspberry Pi OS with desktop (see README)"
	fi
fi

# --- packages ---------------------------------------------------------------------
# The ward speaks loudspeaker announcements (espeak-ng) and prints PDFs with
# Vietnamese diacritics (DejaVu); the TV speaks calls through speech-dispatcher.
if [ "$role" = ward ]; then
	pkgs=(espeak-ng fonts-dejavu-core)
else
	pkgs=(speech-dispatcher speech-dispatcher-espeak-ng espeak-ng)
fi
if [ -n "$destdir" ]; then
	side apt-get install -y --no-install-recommends "${pkgs[@]}"
elif command -v apt-get >/dev/null; then
	apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null ||
		say "warning: could not install ${pkgs[*]} (offline?): install them by hand with apt-get"
fi

# --- start ------------------------------------------------------------------------

units=("kyso-$role.service")
[ "$role" != kiosk ] || units+=(kyso-backup.timer)
if [ -n "$destdir" ]; then
	side systemctl daemon-reload
	side systemctl enable "${units[@]}"
	side systemctl restart "kyso-$role.service" "(when a file changed, else start)"
	[ "$role" != kiosk ] || side systemctl start kyso-backup.timer
	printf '%s\n' "${plan[@]}" >"$root/kyso-install-$role.plan"
	say "installed under $root; system changes written to $root/kyso-install-$role.plan"
	exit 0
fi

systemctl daemon-reload
systemctl enable "${units[@]}"
if [ "$changed" -eq 1 ]; then
	systemctl restart "kyso-$role.service"
else
	systemctl start "kyso-$role.service"
fi
[ "$role" != kiosk ] || systemctl start kyso-backup.timer

ip=$(hostname -I 2>/dev/null | cut -d' ' -f1)
ip=${ip:-<address of this machine>}
if [ "$role" = kiosk ]; then
	say "kyso kiosk is running. Board: http://$ip:8080/  Volunteers: http://$ip:8080/volunteer"
	say "Settings: sudo nano $env   then: sudo systemctl restart kyso-kiosk"
	say "Volunteer PIN (first start): sudo journalctl -u kyso-kiosk | grep -i pin"
else
	say "kyso ward is running: http://$ip:8090/"
	say "Settings: sudo nano $env   then: sudo systemctl restart kyso-ward"
	say "Admin password (first start): sudo journalctl -u kyso-ward | grep -i password"
	say "Register a kiosk: sudo systemctl stop kyso-ward; sudo kyso-run ward kiosk add <id>; sudo systemctl start kyso-ward"
fi
