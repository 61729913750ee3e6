// Run Python code in Pyodide under Node, offline, with the repository and a folder of pure wheels mounted.
//
//   node scripts/runtimes/pyodide-run.mjs PYODIDE_DIR SITE_DIR REPO_DIR SCRIPT.py [ARG ...]
//
// PYODIDE_DIR is an installed npm `pyodide` package (node_modules/pyodide); SITE_DIR a folder of
// unpacked pure-Python wheels (put on sys.path); REPO_DIR is mounted at /repo and is the working
// directory.  SCRIPT.py runs as __main__ with sys.argv = [SCRIPT.py, ARG ...]; its SystemExit code
// (or 1 for an uncaught exception) is the exit code.  A crash of the interpreter itself (e.g. a
// JavaScript stack overflow) prints "PYODIDE CRASHED" and exits 3.
import { createRequire } from "node:module";
import path from "node:path";
import { inspect } from "node:util";

const [pyodideDir, siteDir, repoDir, script, ...args] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { loadPyodide } = require(path.resolve(pyodideDir, "pyodide.js"));

// A fatal error (e.g. a JavaScript stack overflow) can escape as an unhandled rejection.
const crashed = (error) => {
  const where = globalThis.pyodideCurrentTest ? ` during ${globalThis.pyodideCurrentTest}` : "";
  console.error(`PYODIDE CRASHED${where}: ${(error instanceof Error ? error.message : inspect(error)).slice(0, 500)}`);
  process.exit(3);
};
process.on("uncaughtException", crashed);
process.on("unhandledRejection", crashed);

const pyodide = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/", env: { ...process.env, HOME: "/home/pyodide" } });
const { FS } = pyodide;
for (const [host, mountpoint] of [[siteDir, "/site"], [repoDir, "/repo"]]) {
  FS.mkdirTree(mountpoint);
  FS.mount(FS.filesystems.NODEFS, { root: path.resolve(host) }, mountpoint);
}
pyodide.globals.set("_argv", pyodide.toPy([path.resolve(script).replace(path.resolve(repoDir), "/repo"), ...args]));
let code;
try {
  code = await pyodide.runPythonAsync(`
import os, runpy, sys
sys.path[:0] = ["/site", "/repo"]
os.chdir("/repo")
sys.argv = list(_argv)
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
    _code = 0
except SystemExit as exit:
    _code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
_code
`);
} catch (error) {
  if (error instanceof RangeError || error.pyodide_fatal_error || error.constructor.name !== "PythonError") {
    crashed(error);
  }
  console.error(String(error.message));
  code = 1;
}
process.exit(code);
