# npm start's ports (each setting's default unless it is set): sourced by platform.sh, which
# listens on them, and prometheus.sh, which scrapes them.
export RTMP_PORT="${RTMP_PORT:-1935}"
export SRT_PORT="${SRT_PORT:-1337}"
export ORIGIN_HTTP_PORT="${ORIGIN_HTTP_PORT:-8080}"
export API_PORT="${API_PORT:-9090}"
export API_INTERNAL_PORT="${API_INTERNAL_PORT:-9091}"
export EDGE_PORT="${EDGE_PORT:-8081}"
export DISCOVERY_HTTP_PORT="${DISCOVERY_HTTP_PORT:-8082}"
# TLS at the front (HAProxy, when TLS=1): RTMPS for publishers, HTTPS for viewers.
export RTMPS_PORT="${RTMPS_PORT:-1936}"
export HTTPS_PORT="${HTTPS_PORT:-8443}"
