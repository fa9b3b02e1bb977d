#!/bin/bash
# bench/s3/run.sh: s3put/s3get against `aws s3 cp` (and the bare signed
# request, curl on a presigned URL, as the floor), side by side in one run against
# a local S3 service of its own.  Not a test: prints medians, ratios and
# peak RSS.  The machine may be shared: read ratios, not absolute times.
#
#   bench/s3/run.sh            200 x 100 KiB, 512 MiB x 3
#   BENCH_N=50 BENCH_MIB=128 BENCH_REPS=1 bench/s3/run.sh
#   IMGQ_S3_WORKERS=2 bench/s3/run.sh   (Swift proxy workers; default 0)
set -eu
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export IMGQ_BIN=${IMGQ_BIN:-$top/bin}
for p in s3put s3get; do
	[ -x "$IMGQ_BIN/$p" ] || { echo "run.sh: build first (make)" >&2; exit 78; }
done
d=$(mktemp -d "${TMPDIR:-/tmp}/imgq-bench-s3.XXXXXX")
trap '"$top/scripts/s3-local" stop "$d/s3" >/dev/null 2>&1; rm -rf "$d"' EXIT
"$top/scripts/s3-local" start "$d/s3" 0 >/dev/null
set -a
. "$d/s3/env"
set +a
export AWS_DEFAULT_REGION=$AWS_REGION AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_BUCKET_NAME=bench
/usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" s3api create-bucket --bucket bench >/dev/null
echo "imgq S3 benchmark: $(date -u +%FT%TZ), $(nproc) cores, Swift proxy workers ${IMGQ_S3_WORKERS:-0}, $(/usr/bin/aws --version 2>&1 | cut -d' ' -f1)"
echo "our part size ${IMGQ_S3_PART_SIZE:-8m}, parts in flight ${IMGQ_S3_PARTS:-4}; the AWS CLI with its defaults (8 MiB parts, 10 threads)"
/usr/bin/python3 "$top/bench/s3/bench.py"
