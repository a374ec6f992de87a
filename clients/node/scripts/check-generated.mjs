// check-generated.mjs: regenerates src/gen from ../../proto into a temporary directory and
// compares it with the committed files. Exit 1, naming the files, when they differ.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), "phoneauth-gen-"));
const template = readFileSync(join(root, "buf.gen.yaml"), "utf8").replace(/out: src\/gen/, `out: ${tmp}/gen`);
writeFileSync(join(tmp, "buf.gen.yaml"), template);
const files = (d) =>
  readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(d, join(e.parentPath ?? e.path, e.name)))
    .sort();
try {
  const buf = join(root, "node_modules/.bin/buf");
  const protos = ["rpc", "auth", "admin"].flatMap((n) => ["--path", join(root, `../../proto/phoneauth/v1/${n}.proto`)]);
  execFileSync(buf, ["generate", join(root, "../../proto"), "--template", join(tmp, "buf.gen.yaml"), ...protos], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
  });
  const want = files(join(tmp, "gen"));
  const have = files(join(root, "src/gen"));
  const stale = [...new Set([...want, ...have])].filter((f) => {
    try {
      return readFileSync(join(tmp, "gen", f), "utf8") !== readFileSync(join(root, "src/gen", f), "utf8");
    } catch {
      return true;
    }
  });
  if (stale.length > 0) {
    console.error(`src/gen is stale (run npm run generate): ${stale.join(", ")}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
