#!/usr/bin/env bash
# emoji.sh rebuilds assets/emoji.json, the emoji the web client's picker
# offers and the only emoji the server accepts as reactions, and
# assets/emoji-LICENSE.txt beside it, from the npm package
# unicode-emoji-json (MIT, by Mu-An Chiou: Unicode's RGI emoji with their
# names and groups). It keeps the emoji, its name and its group, in
# Unicode's order; it leaves out skin-tone variants (the package folds them
# into one base emoji already) and emoji newer than MAX_EMOJI_VERSION,
# which many phones in a household still draw as empty boxes.
#
#   scripts/emoji.sh [PACKAGE_VERSION]      # default 0.9.0
#
# Needs npm (for `npm pack`) and node. Run the Go tests after: emoji_test.go
# checks the file against the server's set and the quick reactions.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-0.9.0}
MAX_EMOJI_VERSION=${MAX_EMOJI_VERSION:-15.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "unicode-emoji-json@$version" >/dev/null && tar xzf "unicode-emoji-json-$version.tgz")
cp "$tmp/package/LICENSE" assets/emoji-LICENSE.txt
node - "$tmp/package/data-by-group.json" "$version" "$MAX_EMOJI_VERSION" >assets/emoji.json <<'EOF'
const fs = require("fs");
const [file, version, max] = process.argv.slice(2);
const newer = (v) => {
  const [a, b] = v.split(".").map(Number), [x, y] = max.split(".").map(Number);
  return a > x || (a === x && b > y);
};
const groups = JSON.parse(fs.readFileSync(file, "utf8"));
const out = [];
out.push("{");
out.push(`"source": ${JSON.stringify(`unicode-emoji-json ${version} (MIT licence: emoji-LICENSE.txt): RGI emoji up to Emoji ${max}, without skin tones`)},`);
out.push(`"groups": [`);
groups.forEach((g, i) => {
  const emoji = g.emojis.filter((e) => !newer(e.emoji_version));
  out.push(`{"name": ${JSON.stringify(g.name)}, "emoji": [`);
  emoji.forEach((e, j) => out.push(JSON.stringify([e.emoji, e.name]) + (j < emoji.length - 1 ? "," : "")));
  out.push("]}" + (i < groups.length - 1 ? "," : ""));
});
out.push("]}");
process.stdout.write(out.join("\n") + "\n");
EOF
echo "assets/emoji.json: $(wc -c <assets/emoji.json) bytes"
