#!/bin/sh
# The wasmts node installer: ./install.sh [install|uninstall] [options]; ./install.sh --help.
# Runs on this release's own Node.js: the node needs nothing but containerd.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/lib/wasmts/node_modules/node/bin/node" "$here/lib/wasmts/dist/install/main.js" "$@"
