#!/bin/sh
# One-shot (temporalio/admin-tools, or any machine with the `temporal` CLI): wait for the
# frontend, create the Daybreak namespace and the search attributes every run sets (Pipeline,
# RunDate; see devstack/dev-server.ts). Idempotent: what exists is left alone.
set -eu
address=${TEMPORAL_ADDRESS:-temporal:7233}
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-30d}
attempts=${SETUP_MAX_ATTEMPTS:-60}

# Runs "$@" until it succeeds, SETUP_MAX_ATTEMPTS times at most; its output goes to stdout.
retry() {
  i=1
  until out=$("$@" 2>&1); do
    if [ "$i" -ge "$attempts" ]; then
      echo "setup-namespace: '$*' failed $attempts times against $address: $out" >&2
      exit 1
    fi
    i=$((i + 1))
    sleep "${SETUP_SLEEP_SECONDS:-2}"
  done
  printf '%s\n' "$out"
}

retry temporal operator cluster health --address "$address" >/dev/null

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "setup-namespace: namespace $namespace exists"
else
  temporal operator namespace create --address "$address" --namespace "$namespace" --retention "$retention"
  echo "setup-namespace: namespace $namespace created (retention $retention)"
fi

# A new namespace reaches the frontend's cache a few seconds after it is registered.
existing=$(retry temporal operator search-attribute list --address "$address" --namespace "$namespace")
for pair in Pipeline:Keyword RunDate:Datetime; do
  name=${pair%%:*}
  type=${pair#*:}
  if printf '%s\n' "$existing" | grep -Eq "(^|[[:space:]])$name([[:space:]]|$)"; then
    echo "setup-namespace: search attribute $name exists"
  else
    temporal operator search-attribute create --address "$address" --namespace "$namespace" \
      --name "$name" --type "$type"
    echo "setup-namespace: search attribute $name ($type) created"
  fi
done
