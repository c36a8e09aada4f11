#!/usr/bin/env bash
# A self-signed certificate for trying the gateway over HTTPS on this machine (localhost and
# 127.0.0.1, valid 30 days): bash scripts/dev-certificate.sh [directory], default docker/tls.
# Then TLS_CERT_FILE=<directory>/cert.pem TLS_KEY_FILE=<directory>/key.pem, or compose with
# docker-compose.tls.yml. Never use it for anything but development.
set -euo pipefail

dir="${1:-docker/tls}"
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
# Readable by the gateway's user in the container, whose id differs from yours.
chmod 644 "$dir/key.pem"
echo "wrote $dir/cert.pem and $dir/key.pem"
