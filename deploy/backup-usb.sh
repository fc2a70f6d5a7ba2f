#!/bin/bash
# kyso-backup-usb: copy the newest kiosk backup to every USB stick mounted
# under /mnt/usb or /media (the desktop mounts sticks at /media/<user>/<label>).
#
# Run as root by kyso-backup.service, after `kiosk backup` (or the running
# kiosk service itself, daily) wrote kyso-kiosk-<UTC time>.bak files into the
# data directory. A stick gets kyso-backups/<kiosk id>/ with the last
# KYSO_USB_KEEP backups. No stick is not an error: the backups stay on the SD
# card. A stick that cannot be written is: the unit then shows as failed.
#
# Settings (environment; kyso-backup.service reads /etc/kyso/kiosk.env):
#   KYSO_DATA        kiosk data directory (default /var/lib/kyso/kiosk)
#   KYSO_BACKUP_DIR  where the backups are (default $KYSO_DATA/backups)
#   KYSO_ID          kiosk id, names the folder on the stick (default hostname)
#   KYSO_USB_KEEP    backups kept per kiosk on a stick (default 14)
#   KYSO_USB_DIRS    where sticks are looked for, globs allowed
#                    (default "/mnt/usb /media/*/* /media/*")
set -euo pipefail

data=${KYSO_DATA:-/var/lib/kyso/kiosk}
src_dir=${KYSO_BACKUP_DIR:-$data/backups}
id=${KYSO_ID:-$(cat /proc/sys/kernel/hostname)}
keep=${KYSO_USB_KEEP:-14}
dirs=${KYSO_USB_DIRS:-/mnt/usb /media/*/* /media/*}

log() { printf '%s\n' "$*" >&2; }

newest=""
for f in "$src_dir"/kyso-*.bak; do
	[ -f "$f" ] || continue
	if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then
		newest=$f
	fi
done
if [ -z "$newest" ]; then
	log "no backup (kyso-*.bak) in $src_dir: did 'kiosk backup' run?"
	exit 1
fi
name=${newest##*/}

# copy_to DIR copies the newest backup to the stick mounted at DIR.
copy_to() {
	local dest=$1/kyso-backups/$id
	if ! mkdir -p "$dest"; then
		log "cannot write to the stick at $1"
		return 1
	fi
	if [ -f "$dest/$name" ] && cmp -s "$newest" "$dest/$name"; then
		log "$name is already on the stick at $1"
	else
		# Copy under another name, then rename: a stick pulled out mid-copy
		# never holds a truncated file with a backup's name.
		if ! {
			cp --preserve=timestamps "$newest" "$dest/.$name.partial" &&
				sync -f "$dest/.$name.partial" &&
				mv -f "$dest/.$name.partial" "$dest/$name" &&
				sync -f "$dest/$name"
		}; then
			log "copying $name to the stick at $1 failed (full or read-only?)"
			rm -f "$dest/.$name.partial"
			return 1
		fi
		log "copied $name to the stick at $1"
	fi
	# Keep the newest $keep backups of this kiosk on the stick.
	local old
	find "$dest" -maxdepth 1 -type f -name 'kyso-*.bak' -printf '%T@ %f\n' |
		sort -rn | tail -n +"$((keep + 1))" | cut -d' ' -f2- |
		while IFS= read -r old; do
			rm -f -- "$dest/$old"
		done
}

found=0
failed=0
seen=" "
# Word splitting and globbing of $dirs are wanted here.
# shellcheck disable=SC2086
for dir in $dirs; do
	[ -d "$dir" ] || continue
	mountpoint -q "$dir" || continue
	case $seen in *" $dir "*) continue ;; esac
	seen="$seen$dir "
	found=$((found + 1))
	copy_to "$dir" || failed=1
done
if [ "$found" -eq 0 ]; then
	log "no USB stick mounted (looked in: $dirs): $name stays on the SD card only"
fi
exit "$failed"
