#!/usr/bin/env bash
# TokenHop: the chain of profile "ACME dev" as curl commands, exported 2026-11-14 09:30 UTC.
#
# Each step is one curl command; the tokens it gets feed the next step. Progress goes to stderr,
# the last answer (the API's, or the last token response) to stdout.
# Needs bash, curl 7.76+, and python3 (or jq) to read JSON.
# Client secrets are read from the environment: TOKENHOP_IAS_CLIENT_SECRET, TOKENHOP_XSUAA_CLIENT_SECRET.
# Set ENTRA_ID_TOKEN to start from a fresh Entra ID token. It holds live tokens: keep it private.
set -euo pipefail

# --- Variables ---
ENTRA_ID_TOKEN=${ENTRA_ID_TOKEN:-eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJhdWQiOiIzYzFlNGE1Yi03ZDhlLTRmOTAtYTFiMi1jM2Q0ZTVmNjA3MTgiLCJlbWFpbCI6ImFkYUBhY21lLmV4YW1wbGUiLCJleHAiOjE3OTQ2NTIyMDAsImlhdCI6MTc5NDY0ODYwMCwiaXNzIjoiaHR0cHM6Ly9sb2dpbi5taWNyb3NvZnRvbmxpbmUuY29tLzZmMWQyYzNiLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwYTFiMi92Mi4wIiwib2lkIjoidS0xIiwicHJlZmVycmVkX3VzZXJuYW1lIjoiYWRhQGFjbWUuZXhhbXBsZSIsInN1YiI6InMtMSIsInRpZCI6IjZmMWQyYzNiLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwYTFiMiIsInZlciI6IjIuMCJ9.c2lnbmF0dXJl}
IAS_TOKEN_URL='https://acme.accounts.ondemand.com/oauth2/token'
IAS_CLIENT_ID=0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f
IAS_CLIENT_SECRET=${TOKENHOP_IAS_CLIENT_SECRET:?set TOKENHOP_IAS_CLIENT_SECRET to the IAS client secret}
XSUAA_TOKEN_URL='https://acme-dev.authentication.eu10.hana.ondemand.com/oauth/token'
XSUAA_CLIENT_ID='sb-acme-orders!t12345'
XSUAA_CLIENT_SECRET=${TOKENHOP_XSUAA_CLIENT_SECRET:?set TOKENHOP_XSUAA_CLIENT_SECRET to the XSUAA client secret}
XSUAA_ZID=9a8b7c6d-1111-4222-8333-444455556666
API_URL='https://acme-dev-orders.cfapps.eu10.hana.ondemand.com/api/orders'

# --- Helpers ---
have() { command -v "$1" >/dev/null 2>&1; }
have curl || { echo "this script needs curl" >&2; exit 127; }
have python3 || have jq || { echo "this script needs python3 or jq to read JSON" >&2; exit 127; }

# json_field NAME <<<"$JSON": the member NAME of a JSON object, '' if absent.
json_field() {
  if have python3; then
    python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v, end="")' "$1"
  else
    jq -j --arg k "$1" '.[$k] // ""'
  fi
}

# form_encode VALUE: application/x-www-form-urlencoded; the value goes through stdin, not argv.
form_encode() {
  if have python3; then
    printf %s "$1" | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.stdin.read()), end="")'
  else
    printf %s "$1" | jq -sRj @uri
  fi
}

# basic_auth ID SECRET: the header line of RFC 6749 §2.3.1 (form-encode each, join with ':', base64).
basic_auth() {
  printf 'Authorization: Basic %s\n' "$(printf '%s:%s' "$(form_encode "$1")" "$(form_encode "$2")" | base64 | tr -d '\n')"
}

# bearer HEADER TOKEN: a header line carrying the token.
bearer() { printf '%s: Bearer %s\n' "$1" "$2"; }

# post_form NAME URL CURL_ARGS...: POSTs a form, prints the JSON answer, stops the script on an error.
post_form() {
  local name=$1 url=$2 response
  shift 2
  echo "$name: POST $url" >&2
  if ! response=$(curl --silent --show-error --fail-with-body "$@" "$url"); then
    echo "$name refused the request: $response" >&2
    exit 1
  fi
  printf '%s' "$response"
}

# --- IAS: exchange the Entra ID token (RFC 7523 jwt-bearer) ---
IAS_RESPONSE=$(post_form IAS "$IAS_TOKEN_URL" \
  --header @<(basic_auth "$IAS_CLIENT_ID" "$IAS_CLIENT_SECRET") \
  --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
  --data-urlencode assertion@<(printf %s "$ENTRA_ID_TOKEN") \
  --data-urlencode token_format=jwt)
IAS_ID_TOKEN=$(json_field id_token <<<"$IAS_RESPONSE")
IAS_ACCESS_TOKEN=$(json_field access_token <<<"$IAS_RESPONSE")
IAS_REFRESH_TOKEN=$(json_field refresh_token <<<"$IAS_RESPONSE")
echo "IAS: got id_token (${#IAS_ID_TOKEN} chars)" >&2

# --- XSUAA: exchange the IAS ID token ---
XSUAA_RESPONSE=$(post_form XSUAA "$XSUAA_TOKEN_URL" \
  --header "X-zid: $XSUAA_ZID" \
  --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
  --data-urlencode assertion@<(printf %s "$IAS_ID_TOKEN") \
  --data-urlencode "client_id=$XSUAA_CLIENT_ID" \
  --data-urlencode client_secret@<(printf %s "$XSUAA_CLIENT_SECRET"))
XSUAA_ACCESS_TOKEN=$(json_field access_token <<<"$XSUAA_RESPONSE")
XSUAA_REFRESH_TOKEN=$(json_field refresh_token <<<"$XSUAA_RESPONSE")
echo "XSUAA: got access_token (${#XSUAA_ACCESS_TOKEN} chars)" >&2

# --- API: call it with the token ---
echo "API: GET $API_URL" >&2
curl --silent --show-error --fail-with-body --request GET \
  --header 'Accept: application/json' \
  --header @<(bearer x-approuter-authorization "$XSUAA_ACCESS_TOKEN") \
  "$API_URL"
echo >&2
