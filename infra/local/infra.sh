#!/usr/bin/env bash
# Local, Docker-less service provisioning for crypto-lakehouse integration tests.
#
#   infra/local/infra.sh install [service...]   download/build only (no start)
#   infra/local/infra.sh up      [service...]   install if needed, start what is not running, wait healthy
#   infra/local/infra.sh down    [--keep-data] [service...]   stop our processes, wipe data (unless --keep-data)
#   infra/local/infra.sh status  [--json] [service...]        exit 1 if a requested service is unhealthy
#   infra/local/infra.sh env                     print `export VAR=...` lines for the tests
#   infra/local/infra.sh logs    <service> [N]   tail a service's log
#
# Services: kafka registry clickhouse s3 (default: all). Everything listens on 127.0.0.1 only.
# Optional service kafka-secure (only when named): a second Kafka with a SASL_SSL listener (TLS keystore,
# SCRAM and PLAIN users); `env --secure` prints its variables.
# Optional service clickhouse-cluster (only when named): a ZooKeeper (the Kafka jars' own) and two more
# ClickHouse servers, replicas r1 and r2 of one shard of cluster `lakehouse_cluster`; `env --cluster` prints them.
# See infra/local/README.md for versions, ports, timings and gotchas.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
KAFKA_POM="$REPO_ROOT/infra/kafka/pom.xml"

# ---------------------------------------------------------------------------------------------
# Configuration (all overridable from the environment)
# ---------------------------------------------------------------------------------------------
CACHE="${LAKEHOUSE_CACHE_DIR:-$HOME/.cache/crypto-lakehouse}"
STATE="${LAKEHOUSE_INFRA_STATE:-$CACHE/run}"
HOST=127.0.0.1

KAFKA_PORT="${LAKEHOUSE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${LAKEHOUSE_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT="${LAKEHOUSE_REGISTRY_PORT:-18081}"
REGISTRY_MGMT_PORT="${LAKEHOUSE_REGISTRY_MGMT_PORT:-18082}"   # Quarkus management interface (/q/health)
CLICKHOUSE_HTTP_PORT="${LAKEHOUSE_CLICKHOUSE_HTTP_PORT:-18123}"
CLICKHOUSE_TCP_PORT="${LAKEHOUSE_CLICKHOUSE_TCP_PORT:-19010}"
S3_PORT="${LAKEHOUSE_S3_PORT:-19090}"
S3_CONSOLE_PORT="${LAKEHOUSE_S3_CONSOLE_PORT:-19091}"
KAFKA_SECURE_PORT="${LAKEHOUSE_KAFKA_SECURE_PORT:-19192}"
KAFKA_SECURE_CONTROLLER_PORT="${LAKEHOUSE_KAFKA_SECURE_CONTROLLER_PORT:-19193}"
ZOOKEEPER_PORT="${LAKEHOUSE_ZOOKEEPER_PORT:-12181}"
# clickhouse-r<N>: http 18123+N, native 19010+N, interserver (replication) 19020+N
CLICKHOUSE_CLUSTER_NAME=lakehouse_cluster

# Credentials of the secured services (test fixtures on loopback, not secrets): the SASL user of kafka-secure
# (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN), its inter-broker admin, the keystore password, and a ClickHouse
# user with a password (written into users.d; ClickHouse reloads users on change, no restart).
KAFKA_SECURE_USER=lakehouse
KAFKA_SECURE_PASSWORD=lakehouse-sasl-secret
KAFKA_SECURE_ADMIN_PASSWORD=admin-sasl-secret
KAFKA_SECURE_STORE_PASSWORD=lakehouse-store
CLICKHOUSE_SECURE_USER=lakehouse_secure
CLICKHOUSE_SECURE_PASSWORD=lakehouse-ch-secret

S3_USER=minioadmin
S3_PASSWORD=minioadmin
S3_REGION=us-east-1

# Kafka version comes from the committed pom (single source of truth).
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n1)"
# Apicurio: 3.3.1 is not on Maven Central (3.0.9, 3.3.2, 3.3.3 are); 3.3.x needs Java >= 21.
APICURIO_VERSION="${LAKEHOUSE_APICURIO_VERSION:-3.3.3}"
# MinIO: the proxy refuses RELEASE.2025-10-15T17-29-55Z (and its pseudo-version); only the final
# master commit (2026-02-12, after the repo was archived) is served, so that is what we build.
MINIO_MODULE="github.com/minio/minio"
MINIO_MODULE_VERSION="${LAKEHOUSE_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# JVM options. C1-only JIT (TieredStopAtLevel=1) halves JVM start-up on a busy 2-core machine
# (measured: Kafka 4.4-4.9 s vs 8-15 s, Apicurio 5-8 s vs 11-20 s); throughput is ample for tests.
KAFKA_JVM_OPTS="${LAKEHOUSE_KAFKA_JVM_OPTS:--Xms128m -Xmx512m -XX:TieredStopAtLevel=1}"
REGISTRY_JVM_OPTS="${LAKEHOUSE_REGISTRY_JVM_OPTS:--Xms64m -Xmx384m -XX:TieredStopAtLevel=1}"

M2_REPO="$CACHE/m2"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
APICURIO_HOME="$CACHE/apicurio-registry-$APICURIO_VERSION"
MINIO_BIN="$CACHE/bin/minio"
CLICKHOUSE_BIN="${LAKEHOUSE_CLICKHOUSE_BIN:-/usr/sbin/clickhouse-server}"
LOGS="$STATE/logs"

ALL_SERVICES=(kafka registry clickhouse s3)
QUIET_CACHED=0

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
cached() { ((QUIET_CACHED)) || say "$@"; }
say() { printf '[%s] %s\n' "$1" "$2"; }
err() { printf '[%s] ERROR: %s\n' "$1" "$2" >&2; }
die() { printf 'infra.sh: %s\n' "$*" >&2; exit 1; }

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
elapsed() { # elapsed <start_us> -> "3.1s"
  local d=$(( $(now_us) - $1 ))
  printf '%d.%ds' $((d / 1000000)) $(((d % 1000000) / 100000))
}

endpoint() {
  case "$1" in
    kafka) echo "$HOST:$KAFKA_PORT" ;;
    registry) echo "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7" ;;
    clickhouse) echo "http://$HOST:$CLICKHOUSE_HTTP_PORT" ;;
    s3) echo "http://$HOST:$S3_PORT" ;;
    kafka-secure) echo "$HOST:$KAFKA_SECURE_PORT (SASL_SSL)" ;;
    zookeeper) echo "$HOST:$ZOOKEEPER_PORT" ;;
    clickhouse-r[12]) echo "http://$HOST:$(replica_port http "$1")" ;;
  esac
}

# replica_port <http|tcp|interserver> <clickhouse-rN>
replica_port() {
  local n=${2#clickhouse-r}
  case "$1" in http) echo $((18123 + n)) ;; tcp) echo $((19010 + n)) ;; interserver) echo $((19020 + n)) ;; esac
}

ports_of() {
  case "$1" in
    kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    registry) echo "$REGISTRY_PORT $REGISTRY_MGMT_PORT" ;;
    clickhouse) echo "$CLICKHOUSE_HTTP_PORT $CLICKHOUSE_TCP_PORT" ;;
    s3) echo "$S3_PORT $S3_CONSOLE_PORT" ;;
    kafka-secure) echo "$KAFKA_SECURE_PORT $KAFKA_SECURE_CONTROLLER_PORT" ;;
    zookeeper) echo "$ZOOKEEPER_PORT" ;;
    clickhouse-r[12]) echo "$(replica_port http "$1") $(replica_port tcp "$1") $(replica_port interserver "$1")" ;;
  esac
}

start_timeout() {
  local def
  case "$1" in kafka | kafka-secure) def=90 ;; registry) def=120 ;; clickhouse | clickhouse-r[12]) def=30 ;; s3) def=30 ;; zookeeper) def=60 ;; esac
  echo "${LAKEHOUSE_START_TIMEOUT:-$def}"
}

# A string that only our own process for this service has on its command line.
marker_of() {
  case "$1" in
    kafka) echo "$STATE/kafka/server.properties" ;;
    registry) echo "-Dlakehouse.infra.state=$STATE/registry" ;;
    clickhouse) echo "$STATE/clickhouse/config.xml" ;;
    s3) echo "$STATE/s3/data" ;;
    kafka-secure) echo "$STATE/kafka-secure/server.properties" ;;
    zookeeper) echo "$STATE/zookeeper/zoo.cfg" ;;
    clickhouse-r[12]) echo "$STATE/$1/config.xml" ;;
  esac
}

pidfile_of() { echo "$STATE/$1.pid"; }
logfile_of() { echo "$LOGS/$1.log"; }

env_pairs() {
  cat <<EOF
KAFKA_BROKERS=$HOST:$KAFKA_PORT
SCHEMA_REGISTRY_URL=http://$HOST:$REGISTRY_PORT/apis/ccompat/v7
CLICKHOUSE_URL=http://$HOST:$CLICKHOUSE_HTTP_PORT
CLICKHOUSE_USER=default
CLICKHOUSE_PASSWORD=
S3_ENDPOINT=http://$HOST:$S3_PORT
AWS_ACCESS_KEY_ID=$S3_USER
AWS_SECRET_ACCESS_KEY=$S3_PASSWORD
AWS_REGION=$S3_REGION
EOF
}

# `env --secure`: the secured endpoints and their credentials, in the variables the CLI reads.
secure_env_pairs() {
  cat <<EOF
LAKEHOUSE_KAFKA_BROKERS=$HOST:$KAFKA_SECURE_PORT
LAKEHOUSE_KAFKA_SSL=true
LAKEHOUSE_KAFKA_CA=$STATE/kafka-secure/ca.pem
LAKEHOUSE_KAFKA_SASL_MECHANISM=scram-sha-512
LAKEHOUSE_KAFKA_USERNAME=$KAFKA_SECURE_USER
LAKEHOUSE_KAFKA_PASSWORD=$KAFKA_SECURE_PASSWORD
LAKEHOUSE_CLICKHOUSE_USER=$CLICKHOUSE_SECURE_USER
LAKEHOUSE_CLICKHOUSE_PASSWORD=$CLICKHOUSE_SECURE_PASSWORD
EOF
}

# `env --cluster`: the clickhouse-cluster service's name and servers (for --clickhouse-cluster and
# --clickhouse-cluster-urls; names the CLI does not read, so they can sit beside the default services' variables).
cluster_env_pairs() {
  cat <<EOF
CLICKHOUSE_CLUSTER_NAME=$CLICKHOUSE_CLUSTER_NAME
CLICKHOUSE_CLUSTER_URLS=http://$HOST:$(replica_port http clickhouse-r1),http://$HOST:$(replica_port http clickhouse-r2)
EOF
}

cmdline_of() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }

is_ours() { # is_ours <service> <pid>
  local pid=$2
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  [[ "$(cmdline_of "$pid")" == *"$(marker_of "$1")"* ]]
}

# Processes of ours for <service> that are not tracked by a pid file (e.g. pid file deleted).
untracked_pids() {
  local svc=$1 f p
  # one grep over all command lines (argv is NUL-separated; the marker lies within one argument)
  for f in $(grep -lsaF -- "$(marker_of "$svc")" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    p=${f#/proc/}
    p=${p%/cmdline}
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    # skip helper processes that merely mention the marker (this script, grep, an editor's shell...)
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in java | clickhouse-serv* | minio) echo "$p" ;; esac
  done
}

# Prints the pid of our running process for <service>, or nothing. Cleans stale pid files.
running_pid() {
  local svc=$1 pf pid
  pf="$(pidfile_of "$svc")"
  if [[ -f "$pf" ]]; then
    pid="$(tr -dc '0-9' <"$pf")"
    if is_ours "$svc" "$pid"; then
      echo "$pid"
      return 0
    fi
    say "$svc" "removing stale pid file (pid ${pid:-?} is gone or not ours)" >&2
    rm -f "$pf"
  fi
  pid="$(untracked_pids "$svc" | head -n1)"
  if [[ -n "$pid" ]]; then
    say "$svc" "found untracked process of ours (pid $pid); adopting it" >&2
    mkdir -p "$STATE"
    echo "$pid" >"$pf"
    echo "$pid"
  fi
}

# Who listens on 127.0.0.1:<port>? Prints a description, or nothing when the port is free.
port_owner() {
  local port=$1 line
  if command -v ss >/dev/null 2>&1; then
    line="$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n1 || true)"
    if [[ -n "$line" ]]; then
      local users
      users="$(grep -o 'users:(.*)' <<<"$line" || true)"
      echo "${users:-unknown process (run as root to see it)}"
      return 0
    fi
    return 0
  fi
  if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then echo "unknown process"; fi
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

http_get() { curl -fsS --max-time "${2:-3}" "$1" 2>/dev/null; }

tail_log() {
  local svc=$1 f
  [[ -s "$(logfile_of "$svc")" ]] || echo "(log $(logfile_of "$svc") is empty)" >&2
  for f in "$(logfile_of "$svc")" "$LOGS/$svc-server.log"; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f -----" >&2
    tail -n "${LAKEHOUSE_LOG_TAIL:-40}" "$f" >&2
    echo "-----" >&2
  done
}

rotate_log() { local f=$1; [[ -f "$f" ]] && mv -f "$f" "$f.1"; : >"$f"; }

java_major() { # java_major <java binary> -> 17
  local j=$1 home rel v
  home="$(dirname "$(dirname "$(readlink -f "$(command -v "$j")")")")"
  rel="$home/release"
  if [[ -f "$rel" ]]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")"
  fi
  if [[ -z "${v:-}" ]]; then
    v="$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  fi
  echo "${v:-0}"
}

# find_java <min major> <override> -> path of a java binary, preferring PATH, then the newest in /usr/lib/jvm
find_java() {
  local min=$1 override=$2 best="" bestv=0 j v
  if [[ -n "$override" ]]; then echo "$override"; return 0; fi
  if command -v java >/dev/null 2>&1 && (( $(java_major java) >= min )); then command -v java; return 0; fi
  for j in /usr/lib/jvm/*/bin/java; do
    [[ -x "$j" ]] || continue
    v="$(java_major "$j")"
    if (( v >= min && v > bestv )); then best=$j; bestv=$v; fi
  done
  [[ -n "$best" ]] || return 1
  echo "$best"
}

require() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required ($2)"; }

# ---------------------------------------------------------------------------------------------
# Kafka (Apache Kafka jars from Maven Central, KRaft combined broker+controller)
# ---------------------------------------------------------------------------------------------
kafka_java() { find_java 17 "${LAKEHOUSE_KAFKA_JAVA:-}" || die "kafka needs Java >= 17"; }

install_kafka() {
  local stamp want t0
  stamp="$KAFKA_HOME/.complete"
  # re-resolve only when the pom's content changes (XML comments and whitespace ignored)
  want="$(perl -0777 -pe 's/<!--.*?-->//gs; s/\s+//g' "$KAFKA_POM" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    cached kafka "cached: $KAFKA_HOME/libs ($(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars)"
    return 0
  fi
  require mvn "install Debian package maven"
  t0=$(now_us)
  say kafka "resolving Kafka $KAFKA_VERSION jars with Maven (infra/kafka/pom.xml) ..."
  rm -rf "$KAFKA_HOME/libs.tmp"
  mkdir -p "$KAFKA_HOME" "$CACHE/logs"
  if ! mvn -B -q -f "$KAFKA_POM" -Dmaven.repo.local="$M2_REPO" \
    "$DEPENDENCY_PLUGIN:copy-dependencies" -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_HOME/libs.tmp" >"$CACHE/logs/kafka-install.log" 2>&1; then
    tail -n 30 "$CACHE/logs/kafka-install.log" >&2
    die "kafka: maven dependency resolution failed (log: $CACHE/logs/kafka-install.log)"
  fi
  rm -rf "$KAFKA_HOME/libs"
  mv "$KAFKA_HOME/libs.tmp" "$KAFKA_HOME/libs"
  echo "$want" >"$stamp"
  say kafka "installed $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars ($(du -sh "$KAFKA_HOME/libs" | cut -f1)) in $(elapsed "$t0")"
}

kafka_version() {
  local j
  j="$(find "$KAFKA_HOME/libs" -maxdepth 1 -name 'kafka_2.13-*.jar' 2>/dev/null | head -n1)"
  [[ -n "$j" ]] || { echo "not installed"; return; }
  j="$(basename "$j" .jar)"
  echo "${j#kafka_2.13-}"
}

# Broker settings shared by kafka and kafka-secure (single node, tuned for fast tests); $1 = state dir.
kafka_common_properties() {
  local d=$1
  cat <<EOF
log.dirs=$d/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
}

# log4j configuration writing the broker log to $1.
kafka_log4j() {
  cat <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$1
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

kafka_configure() {
  local d="$STATE/kafka"
  mkdir -p "$d/data" "$LOGS"
  cat >"$d/server.properties" <<EOF
# generated by infra/local/infra.sh - single node, KRaft combined mode, tuned for fast tests
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
  kafka_common_properties "$d" >>"$d/server.properties"
  kafka_log4j "$LOGS/kafka-server.log" >"$d/log4j.properties"
}

start_kafka() {
  local d="$STATE/kafka" java cp log4j out cluster_id
  java="$(kafka_java)"
  kafka_configure
  cp="$KAFKA_HOME/libs/*"
  log4j="-Dlog4j.configuration=file:$d/log4j.properties"
  out="$(logfile_of kafka)"
  rotate_log "$out"
  rotate_log "$LOGS/kafka-server.log"
  if [[ ! -f "$d/data/meta.properties" ]]; then
    # Kafka cluster ids are 16 random bytes, base64url without padding (what StorageTool random-uuid prints).
    cluster_id="$(kafka_cluster_id)"
    if ! "$java" -Xmx256m -XX:TieredStopAtLevel=1 -cp "$cp" "$log4j" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$d/server.properties" --ignore-formatted >>"$out" 2>&1; then
      err kafka "storage format failed"
      tail_log kafka
      return 1
    fi
  fi
  # shellcheck disable=SC2086
  setsid "$java" $KAFKA_JVM_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Djava.io.tmpdir="$d" "$log4j" -Dkafka.logs.dir="$LOGS" -cp "$cp" \
    kafka.Kafka "$d/server.properties" >>"$out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile_of kafka)"
}

# Real protocol probe without a client library: send a Metadata v1 request (no topics) over
# /dev/tcp and check the response carries our correlation id and at least one broker.
kafka_metadata_ok() {
  local hex
  # shellcheck disable=SC2016 # expanded by the inner bash
  hex="$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    # size=19 | api_key=3 (Metadata) | api_version=1 | correlation_id=0x4c48 | client_id="infra" | topics=[] 
    printf "\x00\x00\x00\x13\x00\x03\x00\x01\x00\x00\x4c\x48\x00\x05infra\x00\x00\x00\x00" >&3
    head -c 12 <&3 | od -An -tx1 | tr -d " \n"
  ' "$HOST" "$KAFKA_PORT" 2>/dev/null)" || return 1
  # bytes 4..7 correlation id, 8..11 broker count
  [[ "${hex:8:8}" == "00004c48" ]] || return 1
  (( 16#${hex:16:8} >= 1 ))
}

health_kafka() {
  kafka_metadata_ok
}

ready_kafka() { # stricter check used while starting
  grep -q "Kafka Server started" "$LOGS/kafka-server.log" 2>/dev/null && kafka_metadata_ok
}

# ---------------------------------------------------------------------------------------------
# kafka-secure: a second single-node Kafka (same jars, own KRaft cluster, ports and data dir) with only a
# SASL_SSL listener for clients: a self-signed keystore for 127.0.0.1/localhost made with keytool (its
# certificate is also the CA clients trust, ca.pem), SCRAM users created at format time (--add-scram) and
# PLAIN users in the listener's JAAS config. Brokers talk to themselves over the same listener (SCRAM admin).
# ---------------------------------------------------------------------------------------------
install_kafka-secure() { install_kafka; }

kafka_secure_keystore() {
  local d=$1 keytool
  [[ -f "$d/keystore.p12" && -f "$d/ca.pem" ]] && return 0
  keytool="$(dirname "$(kafka_java)")/keytool"
  [[ -x "$keytool" ]] || keytool=keytool
  rm -f "$d/keystore.p12" "$d/ca.pem"
  "$keytool" -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity 3650 -storetype PKCS12 \
    -keystore "$d/keystore.p12" -storepass "$KAFKA_SECURE_STORE_PASSWORD" -keypass "$KAFKA_SECURE_STORE_PASSWORD" \
    -dname "CN=localhost" -ext "SAN=IP:127.0.0.1,DNS:localhost" -ext "BC=ca:true" >/dev/null 2>&1 &&
    "$keytool" -exportcert -rfc -alias broker -keystore "$d/keystore.p12" -storepass "$KAFKA_SECURE_STORE_PASSWORD" \
      -file "$d/ca.pem" >/dev/null 2>&1
}

kafka_secure_configure() {
  local d="$STATE/kafka-secure"
  mkdir -p "$d/data" "$LOGS"
  kafka_secure_keystore "$d" || { err kafka-secure "keytool failed to create the keystore"; return 1; }
  cat >"$d/server.properties" <<EOF
# generated by infra/local/infra.sh - kafka-secure: single node, KRaft combined mode, SASL_SSL for clients
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_SECURE_CONTROLLER_PORT
listeners=SASL_SSL://$HOST:$KAFKA_SECURE_PORT,CONTROLLER://$HOST:$KAFKA_SECURE_CONTROLLER_PORT
advertised.listeners=SASL_SSL://$HOST:$KAFKA_SECURE_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_SECURE_ADMIN_PASSWORD";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$KAFKA_SECURE_ADMIN_PASSWORD" user_admin="$KAFKA_SECURE_ADMIN_PASSWORD" user_$KAFKA_SECURE_USER="$KAFKA_SECURE_PASSWORD";
ssl.keystore.type=PKCS12
ssl.keystore.location=$d/keystore.p12
ssl.keystore.password=$KAFKA_SECURE_STORE_PASSWORD
ssl.key.password=$KAFKA_SECURE_STORE_PASSWORD
ssl.truststore.type=PKCS12
ssl.truststore.location=$d/keystore.p12
ssl.truststore.password=$KAFKA_SECURE_STORE_PASSWORD
EOF
  kafka_common_properties "$d" >>"$d/server.properties"
  kafka_log4j "$LOGS/kafka-secure-server.log" >"$d/log4j.properties"
}

start_kafka-secure() {
  local d="$STATE/kafka-secure" java cp log4j out cluster_id
  java="$(kafka_java)"
  kafka_secure_configure || return 1
  cp="$KAFKA_HOME/libs/*"
  log4j="-Dlog4j.configuration=file:$d/log4j.properties"
  out="$(logfile_of kafka-secure)"
  rotate_log "$out"
  rotate_log "$LOGS/kafka-secure-server.log"
  if [[ ! -f "$d/data/meta.properties" ]]; then
    cluster_id="$(kafka_cluster_id)"
    if ! "$java" -Xmx256m -XX:TieredStopAtLevel=1 -cp "$cp" "$log4j" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$d/server.properties" --ignore-formatted \
      --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_SECURE_ADMIN_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=$KAFKA_SECURE_USER,password=$KAFKA_SECURE_PASSWORD]" \
      --add-scram "SCRAM-SHA-256=[name=$KAFKA_SECURE_USER,password=$KAFKA_SECURE_PASSWORD]" >>"$out" 2>&1; then
      err kafka-secure "storage format failed"
      tail_log kafka-secure
      return 1
    fi
  fi
  # shellcheck disable=SC2086
  setsid "$java" $KAFKA_JVM_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Djava.io.tmpdir="$d" "$log4j" -Dkafka.logs.dir="$LOGS" -cp "$cp" \
    kafka.Kafka "$d/server.properties" >>"$out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile_of kafka-secure)"
}

# TLS handshake against the listener with the generated CA (SASL is checked by the clients that use it).
health_kafka-secure() {
  tcp_open "$KAFKA_SECURE_PORT" &&
    timeout 5 openssl s_client -connect "$HOST:$KAFKA_SECURE_PORT" -CAfile "$STATE/kafka-secure/ca.pem" \
      -verify_return_error </dev/null >/dev/null 2>&1
}
ready_kafka-secure() { grep -q "Kafka Server started" "$LOGS/kafka-secure-server.log" 2>/dev/null && health_kafka-secure; }

# ---------------------------------------------------------------------------------------------
# Schema registry (Apicurio Registry 3.x from Maven Central, in-memory storage, ccompat API)
# ---------------------------------------------------------------------------------------------
registry_java() {
  find_java 21 "${LAKEHOUSE_REGISTRY_JAVA:-}" ||
    die "registry: Apicurio Registry $APICURIO_VERSION needs Java >= 21 (class file 65); none found on PATH or in /usr/lib/jvm (set LAKEHOUSE_REGISTRY_JAVA)"
}

install_registry() {
  local t0 tgz gav tmp
  if [[ -f "$APICURIO_HOME/.complete" && -f "$APICURIO_HOME/quarkus-run.jar" ]]; then
    cached registry "cached: $APICURIO_HOME"
    return 0
  fi
  require mvn "install Debian package maven"
  t0=$(now_us)
  gav="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all"
  say registry "downloading $gav with Maven ..."
  mkdir -p "$CACHE/logs"
  if ! mvn -B -q -Dmaven.repo.local="$M2_REPO" "$DEPENDENCY_PLUGIN:get" -Dtransitive=false \
    -Dartifact="$gav" >"$CACHE/logs/registry-install.log" 2>&1; then
    tail -n 30 "$CACHE/logs/registry-install.log" >&2
    die "registry: download of $gav failed (log: $CACHE/logs/registry-install.log)"
  fi
  tgz="$M2_REPO/io/apicurio/apicurio-registry-app/$APICURIO_VERSION/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  [[ -f "$tgz" ]] || die "registry: $tgz missing after download"
  tmp="$APICURIO_HOME.tmp"
  rm -rf "$tmp" "$APICURIO_HOME"
  mkdir -p "$tmp"
  tar -xzf "$tgz" -C "$tmp" --no-same-owner
  [[ -f "$tmp/quarkus-run.jar" ]] || die "registry: unexpected tarball layout (no quarkus-run.jar)"
  touch "$tmp/.complete"
  mv "$tmp" "$APICURIO_HOME"
  rm -f "$tgz" # the extracted tree is the cache; don't keep a second 150 MB copy in the maven repo
  say registry "installed Apicurio Registry $APICURIO_VERSION ($(du -sh "$APICURIO_HOME" | cut -f1)) in $(elapsed "$t0")"
}

registry_version() {
  local v
  if v="$(http_get "http://$HOST:$REGISTRY_PORT/apis/registry/v3/system/info")"; then
    v="$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$v")"
    [[ -n "$v" ]] && { echo "$v"; return; }
  fi
  if [[ -f "$APICURIO_HOME/.complete" ]]; then echo "$APICURIO_VERSION"; else echo "not installed"; fi
}

start_registry() {
  local d="$STATE/registry" java out
  java="$(registry_java)"
  mkdir -p "$d/tmp" "$LOGS"
  out="$(logfile_of registry)"
  rotate_log "$out"
  # shellcheck disable=SC2086
  (cd "$d" && exec setsid "$java" $REGISTRY_JVM_OPTS -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Djava.io.tmpdir="$d/tmp" -Dlakehouse.infra.state="$d" \
    -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host="$HOST" -Dquarkus.management.port="$REGISTRY_MGMT_PORT" \
    -Dquarkus.http.access-log.enabled=false -Dquarkus.banner.enabled=false \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.rest.deletion.group.enabled=true \
    -Dapicurio.rest.deletion.artifact.enabled=true \
    -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -Dapicurio.ccompat.max-subjects=100000 \
    -jar "$APICURIO_HOME/quarkus-run.jar" >>"$out" 2>&1 </dev/null) 9>&- &
  echo $! >"$(pidfile_of registry)"
}

health_registry() {
  http_get "http://$HOST:$REGISTRY_PORT/apis/ccompat/v7/subjects" >/dev/null
}
ready_registry() { health_registry; }

# ---------------------------------------------------------------------------------------------
# ClickHouse (Debian clickhouse-server 18.16, our own process and config)
# ---------------------------------------------------------------------------------------------
install_clickhouse() {
  local t0 guard=""
  if [[ -x "$CLICKHOUSE_BIN" ]]; then
    cached clickhouse "installed: $CLICKHOUSE_BIN ($(clickhouse_pkg_version))"
    return 0
  fi
  [[ "$(id -u)" == 0 ]] || die "clickhouse: $CLICKHOUSE_BIN missing; run as root or: apt-get install -y --no-install-recommends clickhouse-server clickhouse-client"
  require apt-get "Debian/Ubuntu only"
  t0=$(now_us)
  say clickhouse "installing Debian clickhouse-server/clickhouse-client with apt-get ..."
  mkdir -p "$CACHE/logs"
  # never let the package start its own system service
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clickhouse-server clickhouse-client)
  if ! "${apt[@]}" >"$CACHE/logs/clickhouse-install.log" 2>&1; then
    say clickhouse "apt-get install failed; running apt-get update and retrying"
    apt-get update -q >>"$CACHE/logs/clickhouse-install.log" 2>&1 || true
    if ! "${apt[@]}" >>"$CACHE/logs/clickhouse-install.log" 2>&1; then
      [[ -n "$guard" ]] && rm -f /usr/sbin/policy-rc.d
      tail -n 30 "$CACHE/logs/clickhouse-install.log" >&2
      die "clickhouse: apt-get install failed (log: $CACHE/logs/clickhouse-install.log)"
    fi
  fi
  [[ -n "$guard" ]] && rm -f /usr/sbin/policy-rc.d
  [[ -x "$CLICKHOUSE_BIN" ]] || die "clickhouse: $CLICKHOUSE_BIN still missing after apt-get install"
  say clickhouse "installed $(clickhouse_pkg_version) in $(elapsed "$t0")"
}

clickhouse_pkg_version() {
  dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo "unknown"
}

clickhouse_query() { # clickhouse_query <sql>
  curl -fsS --max-time 5 --data-binary "$1" "http://$HOST:$CLICKHOUSE_HTTP_PORT/?user=default" 2>/dev/null
}

clickhouse_version() {
  local v
  if v="$(clickhouse_query 'SELECT version()')"; then echo "$v"; return; fi
  if [[ -x "$CLICKHOUSE_BIN" ]]; then echo "$(clickhouse_pkg_version) (deb)"; else echo "not installed"; fi
}

# users.xml of our servers: user "default", empty password, loopback only.
clickhouse_users_xml() {
  cat <<'EOF'
<?xml version="1.0"?>
<!-- generated by infra/local/infra.sh: user "default", empty password, loopback only -->
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <use_uncompressed_cache>0</use_uncompressed_cache>
      <load_balancing>random</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries><errors>0</errors><result_rows>0</result_rows>
        <read_rows>0</read_rows><execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
EOF
}

# The settings every server of ours has: clickhouse_server_xml <state dir> <log name> <http port> <native port>
clickhouse_server_xml() {
  cat <<EOF
  <logger>
    <level>information</level>
    <log>$LOGS/$2-server.log</log>
    <errorlog>$LOGS/$2-server.err.log</errorlog>
    <size>20M</size>
    <count>2</count>
  </logger>
  <listen_host>$HOST</listen_host>
  <http_port>$3</http_port>
  <tcp_port>$4</tcp_port>
  <path>$1/data/</path>
  <tmp_path>$1/tmp/</tmp_path>
  <user_files_path>$1/user_files/</user_files_path>
  <format_schema_path>$1/format_schemas/</format_schema_path>
  <users_config>$1/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <mlock_executable>false</mlock_executable>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
EOF
}

clickhouse_configure() {
  local d="$STATE/clickhouse"
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$LOGS"
  # No interserver_http_port, no https/secure ports, loopback only.
  {
    printf '<?xml version="1.0"?>\n<!-- generated by infra/local/infra.sh -->\n<yandex>\n'
    clickhouse_server_xml "$d" clickhouse "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_TCP_PORT"
    echo '</yandex>'
  } >"$d/config.xml"
  clickhouse_users_xml >"$d/users.xml"
}

# The password user in users.d (merged into users.xml; ClickHouse re-reads users files when they change, so a
# running server picks it up without a restart). Its password is stored as SHA-256 only.
clickhouse_secure_user() {
  local d="$STATE/clickhouse" hash
  mkdir -p "$d/users.d"
  hash="$(printf '%s' "$CLICKHOUSE_SECURE_PASSWORD" | sha256sum | cut -d' ' -f1)"
  cat >"$d/users.d/$CLICKHOUSE_SECURE_USER.xml" <<EOF
<?xml version="1.0"?>
<!-- generated by infra/local/infra.sh: user "$CLICKHOUSE_SECURE_USER" with a password, loopback only -->
<yandex>
  <users>
    <$CLICKHOUSE_SECURE_USER>
      <password_sha256_hex>$hash</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </$CLICKHOUSE_SECURE_USER>
  </users>
</yandex>
EOF
}

# ClickHouse 18.16 writes a table's keys back to its metadata file without quoting identifiers, and then reads a
# column named `interval` (the klines sort key) as the start of an INTERVAL expression: a start over kept data
# (after `down --keep-data`, a crash or a reboot) fails with "Cannot create table from metadata file". Quote the
# word again in the key clauses before every start.
clickhouse_repair_metadata() {
  local f
  for f in "$STATE/clickhouse/data/metadata"/*/*.sql; do
    [[ -f "$f" ]] || continue
    grep -qE '^(ORDER BY|PARTITION BY|PRIMARY KEY|SAMPLE BY).*[^`[:alnum:]_]interval([^`[:alnum:]_]|$)' "$f" || continue
    sed -i -E '/^(ORDER BY|PARTITION BY|PRIMARY KEY|SAMPLE BY)/ s/([^`[:alnum:]_])interval([^`[:alnum:]_]|$)/\1`interval`\2/g' "$f"
    say clickhouse "quoted the interval column in the keys of ${f#"$STATE/clickhouse/data/metadata/"}"
  done
}

start_clickhouse() {
  local d="$STATE/clickhouse" out
  clickhouse_configure
  clickhouse_repair_metadata
  clickhouse_secure_user
  out="$(logfile_of clickhouse)"
  rotate_log "$out"
  (cd "$d" && exec setsid "$CLICKHOUSE_BIN" --config-file="$d/config.xml" >>"$out" 2>&1 </dev/null) 9>&- &
  echo $! >"$(pidfile_of clickhouse)"
}

health_clickhouse() {
  [[ "$(http_get "http://$HOST:$CLICKHOUSE_HTTP_PORT/ping")" == "Ok." ]] &&
    [[ -n "$(clickhouse_query 'SELECT version()')" ]]
}
ready_clickhouse() { health_clickhouse; }

# ---------------------------------------------------------------------------------------------
# clickhouse-cluster (optional): ZooKeeper 3.8 standalone, run from the Kafka jars (Kafka 3.9 ships the ZooKeeper
# server and its client), and two ClickHouse servers clickhouse-r1/-r2, the two replicas of the one shard of
# cluster lakehouse_cluster: replicated tables agree through ZooKeeper, parts travel over the interserver port,
# ON CLUSTER DDL goes through ZooKeeper's task queue. Own ports and state dirs; the default services are untouched.
# ---------------------------------------------------------------------------------------------
install_zookeeper() { install_kafka; }
install_clickhouse-r1() { install_clickhouse; }
install_clickhouse-r2() { install_clickhouse; }

start_zookeeper() {
  local d="$STATE/zookeeper" java out
  java="$(kafka_java)"
  mkdir -p "$d/data" "$LOGS"
  cat >"$d/zoo.cfg" <<EOF
# generated by infra/local/infra.sh - standalone ZooKeeper for the clickhouse-cluster service
dataDir=$d/data
clientPort=$ZOOKEEPER_PORT
clientPortAddress=$HOST
tickTime=2000
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
EOF
  kafka_log4j "$LOGS/zookeeper-server.log" >"$d/log4j.properties"
  out="$(logfile_of zookeeper)"
  rotate_log "$out"
  setsid "$java" -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true "-Dlog4j.configuration=file:$d/log4j.properties" \
    -cp "$KAFKA_HOME/libs/*" org.apache.zookeeper.server.ZooKeeperServerMain "$d/zoo.cfg" >>"$out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile_of zookeeper)"
}

health_zookeeper() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  [[ "$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf ruok >&3 && head -c 4 <&3' "$HOST" "$ZOOKEEPER_PORT" 2>/dev/null)" == imok ]]
}
ready_zookeeper() { health_zookeeper; }

# clickhouse_replica_configure <clickhouse-rN>
clickhouse_replica_configure() {
  local svc=$1 d="$STATE/$1" n=${1#clickhouse-r} r
  mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas" "$LOGS"
  {
    printf '<?xml version="1.0"?>\n<!-- generated by infra/local/infra.sh: replica r%s of cluster %s -->\n<yandex>\n' "$n" "$CLICKHOUSE_CLUSTER_NAME"
    clickhouse_server_xml "$d" "$svc" "$(replica_port http "$svc")" "$(replica_port tcp "$svc")"
  } >"$d/config.xml"
  cat >>"$d/config.xml" <<EOF
  <interserver_http_port>$(replica_port interserver "$svc")</interserver_http_port>
  <interserver_http_host>$HOST</interserver_http_host>
  <zookeeper>
    <node><host>$HOST</host><port>$ZOOKEEPER_PORT</port></node>
    <session_timeout_ms>30000</session_timeout_ms>
  </zookeeper>
  <remote_servers>
    <$CLICKHOUSE_CLUSTER_NAME>
      <shard>
        <internal_replication>true</internal_replication>
EOF
  for r in clickhouse-r1 clickhouse-r2; do
    printf '        <replica><host>%s</host><port>%s</port></replica>\n' "$HOST" "$(replica_port tcp "$r")" >>"$d/config.xml"
  done
  cat >>"$d/config.xml" <<EOF
      </shard>
    </$CLICKHOUSE_CLUSTER_NAME>
  </remote_servers>
  <macros>
    <shard>01</shard>
    <replica>r$n</replica>
  </macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
EOF
  clickhouse_users_xml >"$d/users.xml"
}

# start_clickhouse_replica <clickhouse-rN>
start_clickhouse_replica() {
  local svc=$1 d="$STATE/$1" out
  clickhouse_replica_configure "$svc"
  out="$(logfile_of "$svc")"
  rotate_log "$out"
  (cd "$d" && exec setsid "$CLICKHOUSE_BIN" --config-file="$d/config.xml" >>"$out" 2>&1 </dev/null) 9>&- &
  echo $! >"$(pidfile_of "$svc")"
}
start_clickhouse-r1() { start_clickhouse_replica clickhouse-r1; }
start_clickhouse-r2() { start_clickhouse_replica clickhouse-r2; }

health_clickhouse_replica() {
  [[ "$(http_get "http://$HOST:$(replica_port http "$1")/ping")" == "Ok." ]]
}
health_clickhouse-r1() { health_clickhouse_replica clickhouse-r1; }
health_clickhouse-r2() { health_clickhouse_replica clickhouse-r2; }
ready_clickhouse-r1() { health_clickhouse-r1; }
ready_clickhouse-r2() { health_clickhouse-r2; }

# ---------------------------------------------------------------------------------------------
# S3 (MinIO built from source with `go install`)
# ---------------------------------------------------------------------------------------------
minio_ldflags() {
  # Stamp a meaningful version into the binary (go install leaves "DEVELOPMENT.GOGET").
  local v=$MINIO_MODULE_VERSION ts hash iso
  if [[ "$v" =~ ^v0\.0\.0-([0-9]{14})-([0-9a-f]{12})$ ]]; then
    ts=${BASH_REMATCH[1]} hash=${BASH_REMATCH[2]}
    iso="${ts:0:4}-${ts:4:2}-${ts:6:2}T${ts:8:2}:${ts:10:2}:${ts:12:2}Z"
    local p="github.com/minio/minio/cmd"
    echo "-s -w -X $p.Version=$iso -X $p.ReleaseTag=DEVELOPMENT.${iso//:/-} -X $p.CommitID=$hash -X $p.ShortCommitID=$hash -X $p.CopyrightYear=${ts:0:4}"
  else
    echo "-s -w"
  fi
}

install_s3() {
  local t0 tmp log
  if [[ -x "$MINIO_BIN" ]]; then
    cached s3 "cached: $MINIO_BIN ($(minio_version))"
    return 0
  fi
  require go "MinIO is built from source with the Go toolchain"
  t0=$(now_us)
  log="$CACHE/logs/minio-install.log"
  tmp="$CACHE/bin/.minio-build"
  mkdir -p "$CACHE/logs" "$tmp"
  say s3 "building MinIO ($MINIO_MODULE@$MINIO_MODULE_VERSION) with go install - first time only, takes minutes on 2 cores; log: $log"
  if ! (cd "$CACHE" && GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -trimpath" nice -n 10 \
    go install -ldflags "$(minio_ldflags)" "$MINIO_MODULE@$MINIO_MODULE_VERSION") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "s3: go install of MinIO failed (log: $log)"
  fi
  mv -f "$tmp/minio" "$MINIO_BIN"
  rmdir "$tmp" 2>/dev/null || true
  say s3 "built $MINIO_BIN ($(du -h "$MINIO_BIN" | cut -f1)) in $(elapsed "$t0")"
}

minio_version() {
  [[ -x "$MINIO_BIN" ]] || { echo "not installed"; return; }
  local v
  v="$("$MINIO_BIN" --version 2>/dev/null | head -n1)"
  v="${v#minio version }"
  echo "${v:-unknown} [$MINIO_MODULE_VERSION]"
}

start_s3() {
  local d="$STATE/s3" out
  mkdir -p "$d/data" "$d/certs" "$LOGS"
  out="$(logfile_of s3)"
  rotate_log "$out"
  (cd "$d" && MINIO_ROOT_USER="$S3_USER" MINIO_ROOT_PASSWORD="$S3_PASSWORD" \
    MINIO_UPDATE=off MINIO_BROWSER=on \
    exec setsid "$MINIO_BIN" server "$d/data" --certs-dir "$d/certs" \
    --address "$HOST:$S3_PORT" --console-address "$HOST:$S3_CONSOLE_PORT" >>"$out" 2>&1 </dev/null) 9>&- &
  echo $! >"$(pidfile_of s3)"
}

health_s3() {
  http_get "http://$HOST:$S3_PORT/minio/health/live" >/dev/null
}
ready_s3() { health_s3 && http_get "http://$HOST:$S3_PORT/minio/health/ready" >/dev/null; }

# ---------------------------------------------------------------------------------------------
# Generic lifecycle
# ---------------------------------------------------------------------------------------------
service_version() {
  case "$1" in
    kafka) kafka_version ;;
    registry) registry_version ;;
    clickhouse) clickhouse_version ;;
    s3) minio_version ;;
    kafka-secure) kafka_version ;;
    zookeeper) basename "$(find "$KAFKA_HOME/libs" -maxdepth 1 -name 'zookeeper-[0-9]*.jar' 2>/dev/null | head -n1)" .jar ;;
    clickhouse-r[12]) clickhouse_pkg_version ;;
  esac
}

with_lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  if ! flock -w 600 9; then die "another infra.sh is holding $STATE/.lock"; fi
}

parse_services() { # sets SERVICES from args (default: all)
  SERVICES=()
  local s
  for s in "$@"; do
    case "$s" in
      kafka | registry | clickhouse | s3 | kafka-secure | zookeeper | clickhouse-r1 | clickhouse-r2) SERVICES+=("$s") ;;
      clickhouse-cluster) SERVICES+=(zookeeper clickhouse-r1 clickhouse-r2) ;;
      schema-registry | apicurio) SERVICES+=(registry) ;;
      minio) SERVICES+=(s3) ;;
      *) die "unknown service '$s' (expected: ${ALL_SERVICES[*]}, or the optional kafka-secure, clickhouse-cluster)" ;;
    esac
  done
  ((${#SERVICES[@]})) || SERVICES=("${ALL_SERVICES[@]}")
}

cmd_install() {
  parse_services "$@"
  with_lock
  local s t0
  t0=$(now_us)
  for s in "${SERVICES[@]}"; do "install_$s"; done
  say install "done in $(elapsed "$t0"); cache: $CACHE ($(du -sh "$CACHE" 2>/dev/null | cut -f1))"
}

# pids of our processes for <svc> (pid file first, then untracked ones)
service_pids() {
  local svc=$1 pid p pids=()
  pid="$(running_pid "$svc" || true)"
  [[ -n "$pid" ]] && pids+=("$pid")
  for p in $(untracked_pids "$svc"); do
    [[ " ${pids[*]} " == *" $p "* ]] || pids+=("$p")
  done
  echo "${pids[*]}"
}

any_alive() { local p; for p in "$@"; do [[ -d /proc/$p ]] && return 0; done; return 1; }

# signal_and_wait <label> <pid...>: TERM each process group, wait, then KILL what is left
signal_and_wait() {
  local label=$1 p i
  shift
  (($#)) || return 0
  for p in "$@"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
  for ((i = 0; i < ${LAKEHOUSE_STOP_TIMEOUT:-20} * 10; i++)); do
    any_alive "$@" || return 0
    sleep 0.1
  done
  for p in "$@"; do
    if [[ -d /proc/$p ]]; then
      say "$label" "pid $p ignored SIGTERM for ${LAKEHOUSE_STOP_TIMEOUT:-20}s; sending SIGKILL" >&2
      kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 50; i++)); do any_alive "$@" || return 0; sleep 0.1; done
  say "$label" "WARNING: pid(s) still alive after SIGKILL: $*" >&2
}

stop_service() { # stop_service <svc>: prints the stopped pids; returns 1 if nothing was running
  local svc=$1 pids
  pids="$(service_pids "$svc")"
  rm -f "$(pidfile_of "$svc")"
  [[ -n "$pids" ]] || return 1
  # shellcheck disable=SC2086
  signal_and_wait "$svc" $pids
  echo "$pids"
}

cmd_up() {
  parse_services "$@"
  with_lock
  local s p owner t0_all failed=() to_start=() busy=0
  t0_all=$(now_us)
  mkdir -p "$STATE" "$LOGS"

  # 1. artifacts (no-op when cached); kafka-secure comes with the ClickHouse password user
  QUIET_CACHED=1
  for s in "${SERVICES[@]}"; do "install_$s"; done
  [[ " ${SERVICES[*]} " == *" kafka-secure "* ]] && clickhouse_secure_user

  # 2. what is already running; port conflicts for the rest (fail before starting anything)
  declare -A PID START
  for s in "${SERVICES[@]}"; do
    PID[$s]="$(running_pid "$s" || true)"
    if [[ -n "${PID[$s]}" ]]; then continue; fi
    for p in $(ports_of "$s"); do
      owner="$(port_owner "$p")"
      if [[ -n "$owner" ]]; then
        err "$s" "port $HOST:$p is already in use by another process: $owner"
        busy=1
      fi
    done
    to_start+=("$s")
  done
  ((busy)) && die "not starting anything: free the port(s) above or override them (LAKEHOUSE_*_PORT)"

  # 3. launch everything that is not running, then wait for each to be healthy
  # registry first: it is the slowest to boot, so Kafka's storage format overlaps with it
  local launch=()
  [[ " ${to_start[*]} " == *" registry "* ]] && launch+=(registry)
  for s in "${to_start[@]}"; do [[ "$s" == registry ]] || launch+=("$s"); done
  for s in "${launch[@]+"${launch[@]}"}"; do
    START[$s]=$(now_us)
    if ! "start_$s"; then failed+=("$s"); continue; fi
  done

  # Poll all pending services round-robin so each one's time-to-healthy is measured on its own.
  local pending=() pid
  declare -A DEADLINE PRE
  for s in "${SERVICES[@]}"; do
    [[ " ${failed[*]} " == *" $s "* ]] && continue
    if [[ -n "${PID[$s]}" ]] && "health_$s"; then
      say "$s" "already running (pid ${PID[$s]}) on $(endpoint "$s") - nothing to do"
      continue
    fi
    if [[ -n "${PID[$s]}" ]]; then
      say "$s" "running (pid ${PID[$s]}) but not healthy yet; waiting"
      START[$s]=$(now_us)
      PRE[$s]=1
    else
      PID[$s]="$(cat "$(pidfile_of "$s")")"
    fi
    DEADLINE[$s]=$((START[$s] + $(start_timeout "$s") * 1000000))
    pending+=("$s")
  done
  while ((${#pending[@]})); do
    local still=()
    for s in "${pending[@]}"; do
      pid="${PID[$s]}"
      if [[ -n "${PRE[$s]:-}" ]] && "health_$s"; then
        say "$s" "running (pid $pid) on $(endpoint "$s") - healthy after $(elapsed "${START[$s]}")"
      elif [[ -z "${PRE[$s]:-}" ]] && "ready_$s"; then
        say "$s" "started pid $pid on $(endpoint "$s") ($(elapsed "${START[$s]}"))"
      elif [[ ! -d /proc/$pid ]]; then
        err "$s" "process $pid exited during startup"
        tail_log "$s"
        rm -f "$(pidfile_of "$s")"
        failed+=("$s")
      elif (($(now_us) > DEADLINE[$s])); then
        err "$s" "not healthy after $(start_timeout "$s")s (raise LAKEHOUSE_START_TIMEOUT)"
        tail_log "$s"
        if [[ -z "${PRE[$s]:-}" ]]; then
          say "$s" "stopping the process that failed to become healthy" >&2
          stop_service "$s" >/dev/null || true
        fi
        failed+=("$s")
      else
        still+=("$s")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) && sleep 0.2
  done

  if ((${#failed[@]})); then
    die "failed: ${failed[*]} (logs in $LOGS)"
  fi
  say up "all healthy in $(elapsed "$t0_all"); use: eval \"\$($0 env)\""
}

cmd_down() {
  local keep=0 args=() s t0 all=()
  for s in "$@"; do
    case "$s" in
      --keep-data) keep=1 ;;
      --wipe) keep=0 ;;
      *) args+=("$s") ;;
    esac
  done
  parse_services "${args[@]+"${args[@]}"}"
  # a plain `down` also stops the optional services that run
  for s in kafka-secure zookeeper clickhouse-r1 clickhouse-r2; do
    ((${#args[@]})) || [[ -z "$(running_pid "$s" 2>/dev/null || true)" ]] || SERVICES+=("$s")
  done
  with_lock
  t0=$(now_us)
  declare -A PIDS
  for s in "${SERVICES[@]}"; do
    PIDS[$s]="$(service_pids "$s")"
    rm -f "$(pidfile_of "$s")"
    # shellcheck disable=SC2206
    all+=(${PIDS[$s]})
  done
  # stop all requested services in parallel (TERM, wait up to LAKEHOUSE_STOP_TIMEOUT, KILL)
  signal_and_wait down "${all[@]+"${all[@]}"}"
  for s in "${SERVICES[@]}"; do
    if [[ -n "${PIDS[$s]}" ]]; then
      say "$s" "stopped pid ${PIDS[$s]}"
    else
      say "$s" "not running"
    fi
    if ((keep == 0)) && [[ -d "$STATE/$s" ]]; then
      rm -rf "${STATE:?}/$s"
      say "$s" "wiped data ($STATE/$s)"
    fi
  done
  say down "done in $(elapsed "$t0")"
}

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/ }
  printf '"%s"' "$s"
}

cmd_status() {
  local json=0 args=() s
  for s in "$@"; do
    case "$s" in
      --json) json=1 ;;
      *) args+=("$s") ;;
    esac
  done
  parse_services "${args[@]+"${args[@]}"}"
  local unhealthy=0 rows=() pid running healthy version
  for s in "${SERVICES[@]}"; do
    pid="$(running_pid "$s" || true)"
    running=false
    healthy=false
    [[ -n "$pid" ]] && running=true
    if [[ "$running" == true ]] && "health_$s"; then healthy=true; fi
    [[ "$healthy" == true ]] || unhealthy=1
    version="$(service_version "$s")"
    rows+=("$s|$running|$healthy|$version|$(endpoint "$s")|$pid")
  done

  if ((json)); then
    local first=1 name ep
    printf '{"services":['
    for r in "${rows[@]}"; do
      IFS='|' read -r name running healthy version ep pid <<<"$r"
      ((first)) || printf ','
      first=0
      printf '{"name":%s,"running":%s,"healthy":%s,"version":%s,"endpoint":%s,"pid":%s}' \
        "$(json_str "$name")" "$running" "$healthy" "$(json_str "$version")" "$(json_str "$ep")" "${pid:-null}"
    done
    printf '],"env":{'
    first=1
    while IFS='=' read -r k v; do
      ((first)) || printf ','
      first=0
      printf '%s:%s' "$(json_str "$k")" "$(json_str "$v")"
    done < <(env_pairs)
    printf '}}\n'
  else
    printf '%-12s %-8s %-10s %-7s %-46s %s\n' SERVICE STATE HEALTH PID ENDPOINT VERSION
    local name ep state health
    for r in "${rows[@]}"; do
      IFS='|' read -r name running healthy version ep pid <<<"$r"
      state=stopped health=-
      [[ "$running" == true ]] && state=running
      [[ "$running" == true ]] && { [[ "$healthy" == true ]] && health=healthy || health=UNHEALTHY; }
      printf '%-12s %-8s %-10s %-7s %-46s %s\n' "$name" "$state" "$health" "${pid:--}" "$ep" "$version"
    done
    echo
    echo "# environment for the tests:"
    cmd_env
  fi
  return "$unhealthy"
}

cmd_env() {
  local k v pairs=env_pairs
  [[ "${1:-}" == --secure ]] && pairs=secure_env_pairs
  [[ "${1:-}" == --cluster ]] && pairs=cluster_env_pairs
  while IFS='=' read -r k v; do
    printf 'export %s=%s\n' "$k" "$v"
  done < <("$pairs")
}

cmd_logs() {
  parse_services "${1:-}"
  ((${#SERVICES[@]} == 1)) || die "usage: infra.sh logs <service> [lines]"
  local f
  for f in "$(logfile_of "${SERVICES[0]}")" "$LOGS/${SERVICES[0]}-server.log"; do
    [[ -f "$f" ]] && { echo "==> $f <=="; tail -n "${2:-50}" "$f"; }
  done
  return 0
}

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF

Ports (127.0.0.1): kafka $KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT), registry $REGISTRY_PORT (mgmt $REGISTRY_MGMT_PORT),
  clickhouse http $CLICKHOUSE_HTTP_PORT / native $CLICKHOUSE_TCP_PORT, s3 $S3_PORT (console $S3_CONSOLE_PORT)
Cache: $CACHE    State: $STATE
EOF
}

# A Kafka cluster id: 16 random bytes, base64url without padding, never starting with '-' (kafka-storage's
# argument parser would read such an id as an option and fail the format; Kafka's own generator skips them too).
kafka_cluster_id() {
  local id
  while :; do
    id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    [[ "$id" == -* ]] || break
  done
  printf '%s\n' "$id"
}

main() {
  local cmd=${1:-help}
  shift || true
  case "$cmd" in
    install) cmd_install "$@" ;;
    up | start) cmd_up "$@" ;;
    down | stop) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    logs) cmd_logs "$@" ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
