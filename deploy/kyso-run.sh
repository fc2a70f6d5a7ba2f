#!/bin/bash
# kyso-run: run a kyso command as the kyso user, with the settings its service
# reads from /etc/kyso/<program>.env, so it finds the same data directory.
#
#   sudo kyso-run kiosk restore /var/lib/kyso/kiosk-backup.badger
#   sudo kyso-run kiosk backup --data /var/lib/kyso/kiosk --keep 7
#   sudo kyso-run ward kiosk add dong-lao
#
# The env file is parsed the way systemd reads an EnvironmentFile for the
# simple cases we write: KEY=value lines, # comments, optional outer quotes.
set -euo pipefail

usage() {
	echo "usage: sudo kyso-run kiosk|ward ARGS..." >&2
	exit 2
}

[ $# -ge 1 ] || usage
prog=$1
shift
case $prog in
kiosk | ward) ;;
*) usage ;;
esac
env_file=${KYSO_ENV_DIR:-/etc/kyso}/$prog.env
bin=${KYSO_BIN_DIR:-/usr/local/bin}/$prog

if [ "$(id -u)" -ne 0 ]; then
	echo "kyso-run: run it with sudo (the settings are readable by root and kyso only)" >&2
	exit 1
fi
if [ ! -r "$env_file" ]; then
	echo "kyso-run: $env_file not found: was install.sh run?" >&2
	exit 1
fi

vars=()
while IFS= read -r line || [ -n "$line" ]; do
	line=${line#"${line%%[![:space:]]*}"}
	case $line in '' | '#'* | ';'*) continue ;; esac
	key=${line%%=*}
	key=${key%"${key##*[![:space:]]}"}
	[[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
	[ "$key" != "$line" ] || continue
	val=${line#*=}
	val=${val#"${val%%[![:space:]]*}"}
	val=${val%"${val##*[![:space:]]}"}
	if [ "${#val}" -ge 2 ]; then
		case $val in
		\"*\" | \'*\') val=${val:1:${#val}-2} ;;
		esac
	fi
	vars+=("$key=$val")
done <"$env_file"

exec setpriv --reuid=kyso --regid=kyso --init-groups -- \
	env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/var/lib/kyso LANG=C.UTF-8 \
	"${vars[@]}" "$bin" "$@"
