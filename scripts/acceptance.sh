#!/usr/bin/env bash
# Real-Asterisk acceptance run (tests/acceptance).
#
# Where the distribution offers an `asterisk` package (apt-cache policy asterisk), install it; render
# this project's configuration into a temporary directory; start Asterisk on it and the hotline engine
# against it (loopback only, free ports); run the acceptance kit; stop everything again.
# Without an Asterisk package or binary it says so and exits 0 (the kit is then skipped).
#
#   scripts/acceptance.sh            # install if possible, run the kit
#   ASTERISK=/opt/asterisk/sbin/asterisk ASTERISK_MODULES=/opt/asterisk/lib/asterisk/modules \
#     scripts/acceptance.sh                                      # use a source build
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY="$ROOT/.venv/bin/python"
CLI="$ROOT/.venv/bin/hotline12348"

ASTERISK=${ASTERISK:-$(command -v asterisk || true)}
if [ -z "$ASTERISK" ]; then
  candidate=$(apt-cache policy asterisk 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
    echo "acceptance: no asterisk binary and no asterisk package offered (apt-cache policy asterisk): skipped"
    exit 0
  fi
  echo "acceptance: installing asterisk $candidate"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends asterisk asterisk-modules
  ASTERISK=$(command -v asterisk)
fi
MODULES=${ASTERISK_MODULES:-$(dirname "$(find /usr/lib /usr/local/lib /opt -name chan_pjsip.so -print -quit 2>/dev/null || true)")}
if [ ! -f "$MODULES/chan_pjsip.so" ]; then
  echo "acceptance: chan_pjsip.so not found (is res_pjsip built/installed?)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/hotline-acceptance.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "acceptance: logs and files kept in $WORK"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
wait_port() {  # host port seconds
  "$PY" - "$@" <<'EOF'
import socket, sys, time
host, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        socket.create_connection((host, port), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(f"nothing listens on {host}:{port}")
EOF
}

SIP=$(free_port SOCK_DGRAM); TLS=$(free_port SOCK_STREAM); WSS=$(free_port SOCK_STREAM)
HTTP_AST=$(free_port SOCK_STREAM); AMI=$(free_port SOCK_STREAM); AGI=$(free_port SOCK_STREAM)
HTTP=$(free_port SOCK_STREAM); RTP=$(( ($(free_port SOCK_DGRAM) / 2) * 2 ))
AMI_SECRET=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')
mkdir -p "$WORK"/{etc,lib,spool,run,log,cache,agi-bin,keys,moh,var,recordings}

# The carrier and the 12345 trunk are identified by address: give them their own loopback
# addresses so the seat phone (127.0.0.1) is identified by its username, as in production.
"$PY" - "$WORK/directory.yaml" <<'EOF'
import sys, yaml
from hotline.settings import ROOT
raw = yaml.safe_load((ROOT / "hotline/data/directory.yaml").read_text(encoding="utf-8"))
raw["trunks"]["carrier"]["match"] = ["127.0.0.2"]
raw["trunks"]["gov12345"]["host"] = "127.0.0.3"
open(sys.argv[1], "w", encoding="utf-8").write(yaml.safe_dump(raw, allow_unicode=True))
EOF

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hotline12348-acceptance" \
  -keyout "$WORK/keys/hotline.key" -out "$WORK/keys/hotline.crt" 2>/dev/null
sox -n -r 8000 -c 1 -b 16 "$WORK/moh/hold.wav" synth 10 sine 440 vol 0.2

export HOTLINE_DIRECTORY_FILE="$WORK/directory.yaml"
export HOTLINE_VAR_DIR="$WORK/var" HOTLINE_RECORDINGS_DIR="$WORK/recordings"
export HOTLINE_PROMPTS_DIR="$WORK/lib/sounds/zh"   # Asterisk plays hotline/<id> in language zh from here
export HOTLINE_DATABASE_URL="sqlite+aiosqlite:///$WORK/var/hotline.db"
export HOTLINE_PBX_MODE=asterisk HOTLINE_FASTAGI_HOST=127.0.0.1 HOTLINE_FASTAGI_PORT=$AGI
export HOTLINE_HTTP_PORT=$HTTP HOTLINE_DEMO_TRAFFIC=false
export HOTLINE_AMI_NODES="[{\"name\":\"node1\",\"host\":\"127.0.0.1\",\"port\":$AMI,\"username\":\"engine\",\"secret\":\"$AMI_SECRET\"}]"
export HOTLINE_ASTERISK_RUN_ROOT="$WORK" HOTLINE_ASTERISK_MODULES_DIR="$MODULES"
export HOTLINE_ASTERISK_SIP_BIND=127.0.0.1 HOTLINE_ASTERISK_SIP_PORT=$SIP HOTLINE_ASTERISK_TLS_PORT=$TLS
export HOTLINE_ASTERISK_WSS_PORT=$WSS HOTLINE_ASTERISK_HTTP_PORT=$HTTP_AST HOTLINE_ASTERISK_AMI_BIND=127.0.0.1
export HOTLINE_ASTERISK_ENGINE_ADDRESS=127.0.0.1 HOTLINE_ASTERISK_RTP_START=$RTP HOTLINE_ASTERISK_RTP_END=$((RTP + 200))
export HOTLINE_ASTERISK_TLS_CERT_FILE="$WORK/keys/hotline.crt" HOTLINE_ASTERISK_TLS_KEY_FILE="$WORK/keys/hotline.key"
export HOTLINE_ASTERISK_MOH_DIR="$WORK/moh" HOTLINE_ASTERISK_SECRETS_FILE="$WORK/var/asterisk-secrets.json"
export HOTLINE_ASTERISK_CARRIER_CONTACT="sip:127.0.0.2:5060"

"$CLI" db upgrade
"$CLI" ivr prompts build
"$CLI" config render --out "$WORK/etc"
"$CLI" config check "$WORK/etc" || echo "acceptance: config check reported the problems above (continuing)"

"$ASTERISK" -C "$WORK/etc/asterisk.conf" -f -n -q >"$WORK/log/asterisk.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1 "$AMI" 30
"$CLI" run >"$WORK/log/engine.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1 "$AGI" 30

SEAT=1003
SEAT_PASSWORD=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seat'"$SEAT"'"])' "$HOTLINE_ASTERISK_SECRETS_FILE")
export HOTLINE_ACCEPTANCE_AMI="engine:$AMI_SECRET@127.0.0.1:$AMI"
export HOTLINE_ACCEPTANCE_SIP="127.0.0.1:$SIP"
export HOTLINE_ACCEPTANCE_SEAT="$SEAT:$SEAT_PASSWORD"
export HOTLINE_ACCEPTANCE_CALLER_IP=127.0.0.2 HOTLINE_ACCEPTANCE_SEAT_IP=127.0.0.1
"$PY" -m pytest -p no:cacheprovider -v tests/acceptance "$@"
