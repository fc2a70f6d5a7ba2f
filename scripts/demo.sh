#!/usr/bin/env bash
# make run: one ward and one kiosk on this machine, wired together, with the
# Cẩm Ngọc quotas. Data lives under ./data; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
tokfile=data/demo-kiosk-token
[ -s "$tokfile" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$tokfile"
token=$(cat "$tokfile")
pwfile=data/demo-admin-password
[ -s "$pwfile" ] || head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$pwfile"

bin/ward --listen 127.0.0.1:8090 --data data/ward --commune "Cẩm Ngọc" --quotas deploy/examples/quotas-cam-ngoc-2024.csv \
  --admin-password "$(cat "$pwfile")" --kiosk "dong-lao:$token" --mdns=false &
ward=$!
bin/kiosk --listen :8080 --data data/kiosk --id dong-lao --name "Nhà văn hóa thôn Đông Lão" \
  --village "Đông Lão" --ward-url http://127.0.0.1:8090 --token "$token" --mdns=false \
  --wifi-ssid "NVH-DongLao" --wifi-password "camngoc2024" &
kiosk=$!
trap 'kill $ward $kiosk 2>/dev/null; wait' INT TERM EXIT
sleep 1
lan=$(curl -s http://127.0.0.1:8080/healthz >/dev/null && echo ok || echo starting)
cat <<MSG

  kyso demo ($lan)
  TV board        http://localhost:8080/
  Citizen join    http://localhost:8080/join
  Volunteer       http://localhost:8080/volunteer   (PIN: cat data/kiosk/volunteer-pin)
  Ward dashboard  http://localhost:8090/            (admin password: cat $pwfile)
  Ward progress   http://localhost:8090/api/v1/progress

MSG
wait
