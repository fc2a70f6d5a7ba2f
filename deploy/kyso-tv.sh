#!/bin/bash
# kyso-tv: show the kyso board full screen on the TV of a cultural house.
#
# Started by the desktop session (/etc/xdg/autostart/kyso-tv.desktop). It
# waits until the kiosk service answers, keeps the screen from blanking, runs
# Chromium in kiosk mode and starts it again whenever it exits. Chromium
# speaks the calls through speech-dispatcher (--enable-speech-dispatcher:
# without it Chromium on Linux lists no voice at all; the board picks a voice
# whose language is "vi", which speech-dispatcher-espeak-ng provides), and may
# sound without a tap on the TV (--autoplay-policy). The board page
# reconnects by itself when the service restarts; this script restarts the
# browser only when the service comes back with another version (an upgrade:
# new pages) or after a long outage, when the page may have given up.
#
# Settings (in /etc/default/kyso-tv, or KYSO_TV_CONFIG names another file):
#   KYSO_TV_URL            page to show (default http://localhost:8080/)
#   KYSO_TV_HEALTH_URL     service health check (default <KYSO_TV_URL>healthz)
#   KYSO_TV_BROWSER        browser program (default chromium, else chromium-browser)
#   KYSO_TV_RESTART_DELAY  seconds between a browser exit and its restart (3)
#   KYSO_TV_POLL           seconds between health checks while showing (10)
#   KYSO_TV_OUTAGE         seconds of outage after which the browser is restarted (60)
set -u

config=${KYSO_TV_CONFIG:-/etc/default/kyso-tv}
if [ -r "$config" ]; then
	# shellcheck source=/dev/null
	. "$config"
fi

url=${KYSO_TV_URL:-http://localhost:8080/}
health=${KYSO_TV_HEALTH_URL:-${url%/}/healthz}
delay=${KYSO_TV_RESTART_DELAY:-3}
poll=${KYSO_TV_POLL:-10}
outage=${KYSO_TV_OUTAGE:-60}
state=${XDG_STATE_HOME:-$HOME/.local/state}/kyso-tv
profile=$state/chromium

# Messages go to the session's stderr and to the journal: journalctl -t kyso-tv
log() {
	printf 'kyso-tv: %s\n' "$*" >&2
	logger -t kyso-tv -- "$*" 2>/dev/null || true
}

# vietnamese_voices makes $state/espeak/espeak-ng-data, the system's
# espeak-ng data (symbolic links) with the Vietnamese languages only and no
# voice variants, and prints the directory to give espeak-ng as
# ESPEAK_DATA_PATH (nothing when espeak-ng's data is not found). Why: for
# every call it speaks, Chromium goes through every voice speech-dispatcher
# offers, and espeak-ng offers each of its 131 languages in 102 variants,
# 13,363 voices: about 0.2 s of Chromium's CPU per spoken call (measured in
# docs/benchmarks.md, the TV). The board speaks Vietnamese only; with these data
# the speech-dispatcher Chromium starts offers 3 voices (vi,
# vi-VN-X-CENTRAL, vi-VN-X-SOUTH). A speech-dispatcher already running for
# this user keeps all its voices, and the board still finds "vi" among them.
vietnamese_voices() {
	local src="" d dst=$state/espeak/espeak-ng-data
	for d in /usr/lib/*/espeak-ng-data /usr/share/espeak-ng-data; do
		if [ -d "$d/lang/aav" ]; then
			src=$d
			break
		fi
	done
	[ -n "$src" ] || return 0
	rm -rf "$state/espeak"
	mkdir -p "$dst/lang" "$dst/voices/!v" || return 0
	for d in "$src"/*; do
		case ${d##*/} in
		lang | voices) ;;
		*) ln -s "$d" "$dst/${d##*/}" ;;
		esac
	done
	ln -s "$src/lang/aav" "$dst/lang/aav"
	printf '%s\n' "$state/espeak"
}

# "kyso-tv.sh --browser-env" prepares and prints the environment the
# browser gets (for kiosk/board_cpu_bench_test.go), and exits.
if [ "${1:-}" = "--browser-env" ]; then
	mkdir -p "$state"
	espeak=$(vietnamese_voices)
	if [ -n "$espeak" ]; then
		printf 'ESPEAK_DATA_PATH=%s\n' "$espeak"
	fi
	exit 0
fi

browser=${KYSO_TV_BROWSER:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$b
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	log "no Chromium found: sudo apt-get install chromium"
	exit 1
fi

# One instance per session: the autostart may be read from more than one place.
mkdir -p "$state"
exec 9>"${XDG_RUNTIME_DIR:-$state}/kyso-tv.lock"
if ! flock -n 9; then
	log "already running"
	exit 0
fi

espeak=$(vietnamese_voices)
if [ -n "$espeak" ]; then
	export ESPEAK_DATA_PATH=$espeak
fi

# fetch prints the health answer, or fails when the service does not answer.
if command -v curl >/dev/null 2>&1; then
	fetch() { curl -fsS --max-time 3 "$health" 2>/dev/null; }
else
	fetch() { wget -q -T 3 -O - "$health" 2>/dev/null; }
fi

# version prints the version the service reports (empty when it reports none).
version() {
	local body
	body=$(fetch) || return 1
	printf '%s' "$body" | sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

keep_screen_on() {
	if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
		xset s off
		xset s noblank
		xset -dpms
	fi
	if [ -n "${WAYLAND_DISPLAY:-}" ] && command -v wlr-randr >/dev/null 2>&1; then
		local out
		for out in $(wlr-randr 2>/dev/null | sed -n 's/^\([^[:space:]]\+\).*/\1/p'); do
			wlr-randr --output "$out" --on 2>/dev/null
		done
	fi
	return 0
}

# A browser killed at power-off would offer to "restore pages" over the board.
forget_crash() {
	local prefs=$profile/Default/Preferences
	if [ -f "$prefs" ]; then
		sed -i -e 's/"exited_cleanly":false/"exited_cleanly":true/' \
			-e 's/"exit_type":"[^"]*"/"exit_type":"Normal"/' "$prefs"
	fi
}

# Chromium's flags. kiosk/board_cpu_bench_test.go starts its Chromium with
# the lines between the two markers, so the bench measures this browser:
# one plain flag a line (no quotes, no variables), comments on lines of
# their own.
# chromium flags: begin
# shellcheck disable=SC2054 # the commas separate features inside one flag
flags=(
	--kiosk
	--noerrdialogs
	--disable-infobars
	--autoplay-policy=no-user-gesture-required
	--enable-speech-dispatcher
	--check-for-update-interval=31536000
	--no-first-run
	--disable-session-crashed-bubble
	--password-store=basic
	# A TV on a village network with one page to show: no Google services,
	# updates, reports or suggestions to reach (often no internet to reach
	# them), no second renderer kept warm. Their CPU gain was within the
	# noise on the test VM (docs/benchmarks.md); they cost nothing and take
	# timers and connection attempts away from a Pi.
	--disable-background-networking
	--disable-component-update
	--disable-sync
	--disable-default-apps
	--disable-breakpad
	--disable-domain-reliability
	--disable-client-side-phishing-detection
	--disable-component-extensions-with-background-pages
	--no-pings
	--metrics-recording-only
	--renderer-process-limit=1
	--disable-features=Translate,MediaRouter,OptimizationHints,OptimizationGuideModelDownloading,OptimizationGuideOnDeviceModel,HardwareMediaKeyHandling,GlobalMediaControls,SpareRendererForSitePerProcess,AutofillServerCommunication
	# No GPU flag: a Pi 4 composites on its GPU (V3D); --disable-gpu would
	# move that to its CPU, and --in-process-gpu saved nothing here.
)
# chromium flags: end

pid=""
stop_browser() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	local tries=10
	while [ "$tries" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.5
		tries=$((tries - 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
	return 0
}
trap 'stop_browser; exit 0' TERM INT HUP

while :; do
	waited=0
	until v0=$(version); do
		if [ "$waited" -eq 0 ]; then
			log "waiting for the kiosk service at $health"
		fi
		waited=1
		sleep 2
	done
	keep_screen_on
	forget_crash
	if ! command -v speech-dispatcher >/dev/null 2>&1; then
		log "speech-dispatcher missing, the board can only chime: sudo apt-get install speech-dispatcher speech-dispatcher-espeak-ng"
	fi
	log "showing $url (service version ${v0:-unknown})"
	"$browser" "${flags[@]}" --user-data-dir="$profile" "$url" &
	pid=$!
	down_since=""
	while kill -0 "$pid" 2>/dev/null; do
		sleep "$poll" &
		wait $! # interruptible by the trap, unlike a plain sleep
		if v=$(version); then
			if [ "$v" != "$v0" ]; then
				log "service version changed ($v0 -> $v): reloading the board"
				stop_browser
			elif [ -n "$down_since" ] && [ $((SECONDS - down_since)) -ge "$outage" ]; then
				log "service back after $((SECONDS - down_since))s: reloading the board"
				stop_browser
			fi
			down_since=""
		elif [ -z "$down_since" ]; then
			down_since=$SECONDS
		fi
	done
	if [ -n "$pid" ]; then
		wait "$pid"
		log "browser exited (status $?): starting it again in ${delay}s"
		pid=""
	fi
	sleep "$delay"
done
