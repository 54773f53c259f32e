// Bundles the cmi5 client (@xapi/cmi5, MIT) into one browser script for the cmi5 packages:
// src/lernmodul/packages/assets/cmi5.js, committed, so that nothing is fetched when a package
// is built or played. Run after changing the version in package.json:
//   cd node && npm ci --ignore-scripts && node build-cmi5.mjs   (an optional argument: another output file)
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const meta = JSON.parse(readFileSync("node_modules/@xapi/cmi5/package.json", "utf8"));
await build({
  entryPoints: ["node_modules/@xapi/cmi5/dist/Cmi5.esm.js"],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "Cmi5",
  platform: "browser",
  target: ["es2019"],
  legalComments: "inline",
  banner: { js: `/*! @xapi/cmi5 ${meta.version} (${meta.license} licence, ${meta.homepage}), ` +
    "bundled with its dependencies by node/build-cmi5.mjs (esbuild); licences of the bundled " +
    "packages are kept inline below. */" },
  outfile: process.argv[2] || "../src/lernmodul/packages/assets/cmi5.js",
});
