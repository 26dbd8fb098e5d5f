#!/usr/bin/env bash
# Refresh the API docs assets vendored in src/mediamill/api/static/vendor from the npm registry.
# Usage: scripts/vendor_api_docs.sh [swagger-ui-dist version] [redoc version]
set -euo pipefail
SWAGGER=${1:-5.35.0}
REDOC=${2:-2.5.4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/src/mediamill/api/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "swagger-ui-dist@$SWAGGER" "redoc@$REDOC" >/dev/null
mkdir swagger redoc
tar xzf "swagger-ui-dist-$SWAGGER.tgz" -C swagger
tar xzf "redoc-$REDOC.tgz" -C redoc
mkdir -p "$DEST/swagger-ui" "$DEST/redoc"
(cd swagger/package && cp swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png \
  oauth2-redirect.html oauth2-redirect.js LICENSE NOTICE "$DEST/swagger-ui/")
(cd redoc/package && cp bundles/redoc.standalone.js bundles/redoc.standalone.js.LICENSE.txt LICENSE "$DEST/redoc/")
# Redoc's sidebar shows a "powered by" logo fetched from Redocly's CDN: a request to a third party on
# every page view. It becomes an empty inline SVG, so the page asks nothing of the network.
sed -i "s#https://cdn.redoc.ly/redoc/logo-mini.svg#data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E#" \
  "$DEST/redoc/redoc.standalone.js"
printf 'swagger-ui-dist %s (Apache-2.0)\nredoc %s (MIT; the CDN logo URL replaced by an empty inline SVG)\n' "$SWAGGER" "$REDOC" > "$DEST/VERSIONS.txt"
echo "vendored swagger-ui-dist $SWAGGER and redoc $REDOC into $DEST"
