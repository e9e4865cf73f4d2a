"""Runner pack: the Node.js package managers (npm 6 to 11, pnpm 8 to 12, yarn 1 and 4).

Formats read (one example line each; the test runners they start are the ``js`` pack's):

* npm 7 and later, a failed script of a workspace (npm 11 ``npm error``, npm 7-10 ``npm ERR!``):
  ``npm error Lifecycle script `test` failed with error:`` (critical), then ``npm error code 1``,
  ``npm error path /tmp/ci/acme/packages/api``, ``npm error command sh -c node --test`` (high);
* npm's error codes: ``npm error code E404`` / ``npm ERR! code ELIFECYCLE`` (critical), the
  lines that explain them: ``npm error 404 Not Found - GET https://registry.npmjs.org/x``,
  ``npm error notarget No matching version found for left-pad@99.0.0.``, ``npm error
  ERESOLVE unable to resolve dependency tree``, ``npm error Missing script: "build"`` (high);
  the usage text ``npm ci`` prints with EUSAGE, blank ``npm error`` lines and ``npm error A
  complete log of this run can be found in: ...`` (low);
* npm 6: ``npm ERR! code ELIFECYCLE``, ``npm ERR! Failed at the site@0.8.0 lint script.``,
  ``npm ERR! Test failed.  See above for more details.`` (critical), ``npm ERR! errno 1`` (high);
* npm's warnings ``npm warn deprecated ...`` / ``npm WARN ...`` (medium) and its progress
  ``npm http fetch GET 200 https://registry.npmjs.org/mocha 52ms (cache hit)``, ``npm timing``,
  ``npm verb`` (verbose);
* pnpm 8-10 (the code padded with spaces, thin spaces U+2009 when colours are off):
  `` ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL  @mono/web@1.0.0 test: `mocha test` ``,
  `` ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/x: Not Found - 404``, `` ELIFECYCLE
  Test failed. See above for more details.``, `` ELIFECYCLE  Command failed with exit code 1.``
  (critical), ``Exit status 1``, ``packages/web test: Failed`` (high), `` WARN  deprecated``
  (medium), ``Progress: resolved 75, reused 75, downloaded 0, added 75, done`` (verbose);
* pnpm 11-12: ``[ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL] pnpm@11.0.6 .test: `jest` ``,
  ``Error: ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL``, ``[ELIFECYCLE] Command failed with exit code 1.``
  (critical);
* yarn 1: ``error Command failed with exit code 1.``, ``error An unexpected error occurred:
  "https://registry.npmjs.org/x: Not found".``, ``error Your lockfile needs to be updated, but
  yarn was run with `--frozen-lockfile`.`` (critical), other ``error ...`` lines (high),
  ``warning ...`` (medium), ``[1/4] Resolving packages...`` (verbose), ``info ...`` (low);
* yarn 2-4: ``➤ YN0000: · Failed with errors in 0s 659ms``, and after ``yarn workspaces foreach``
  ``The command failed in workspace @shelf/api@workspace:packages/api with exit code 1``,
  ``Failed with errors in 0s 983ms`` (critical), ``➤ YN0035: │
  x@npm:^1.0.0: Package not found``, ``➤ YN0028: │ The lockfile would have been modified by
  this install, which is explicitly forbidden.``, ``➤ YN0001: │ Error: ...`` (high),
  ``➤ YN0060: │ ... provides ... with version ..., which doesn't satisfy`` (medium), fetch and
  link steps ``➤ YN0013: │ ...`` (verbose); its workspace runner prefixes a package's lines
  with ``[@shelf/api]: ``.
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, V

#: npm's prefix for its error lines: ``npm error`` (npm 10+) or ``npm ERR!`` (npm 6-9).
_NPM_ERR = r"^npm (?:error|ERR!)"
#: yarn 2-4's prefix: ``➤ YN0035: ``.
_YN = r"^➤ YN"

RULES = (
    # --- low first: npm's own framing (blank error lines, the usage text of EUSAGE, the log's path)
    Rule(_NPM_ERR + r" ?$|" + _NPM_ERR + r" {2,}\S|" + _NPM_ERR + r" (?:\[-|Usage:$|Options:$|aliases: |Run \"npm help |A complete log of this run can be found in|    /|npm [a-z-]+$)", L, "npm error framing"),
    # --- critical: the verdicts
    Rule(_NPM_ERR + r" (?:Lifecycle script `[^`]+` failed with error:|code [A-Z][A-Z0-9_]*$|[Mm]issing script: |Test failed\.  See above for more details\.|Failed at the \S+ \S+ script\.)", C, "npm failure"),
    Rule(r"^\s?(?:\[|Error: )?ERR_PNPM_[A-Z0-9_]+\b|^\s?\[?ELIFECYCLE\]?\s+(?:Command|Test) failed", C, "pnpm failure"),
    Rule(r"^error (?:Command failed with exit code [1-9]|An unexpected error occurred: |Your lockfile needs to be updated|Couldn't find any versions for |Couldn't find package )", C, "yarn failure"),
    Rule(_YN + r"0000: (?:[·└] )?Failed with errors in |^Failed with errors in |^The command failed in workspace \S+ with exit code [1-9]", C, "yarn 4 failure"),
    # --- high: the explanation of an error
    Rule(_NPM_ERR + r" ", H, "npm error"),
    Rule(r"^Exit status [1-9]\d*$|^[A-Za-z0-9_@][A-Za-z0-9_@./-]* [A-Za-z0-9_:-]+: Failed$", H, "pnpm script failed"),
    Rule(r"^error ", H, "yarn error"),
    Rule(_YN + r"00(?:01|09|18|27|28|35|36|46|71|82): ", H, "yarn 4 error"),
    # --- medium: warnings
    Rule(r"^npm (?:warn|WARN) |^\s?WARN\s\s|^warning |" + _YN + r"00(?:02|60|86): ", M, "package manager warning"),
    # --- verbose: progress and downloads
    Rule(r"^npm (?:http|timing|verb|sill) |^Progress: resolved \d+, |^Packages: [+-]\d+|^\++$|^\[\d/\d\] [A-Z][a-z]+ |" + _YN + r"00(?:07|13|19): |^➤ YN0000: [┌└]", V, "package manager progress"),
    # --- low: information
    Rule(r"^info |^➤ YN0000: ", L, "package manager information"),
)

BLOCKS = (
    _NPM_ERR + r" (?:code [A-Z]|Lifecycle script )",
    r"^\s?(?:\[|Error: )?ERR_PNPM_",
    r"^error ",
)

PACK = Pack(
    "node_pm",
    "Node.js package managers: npm, pnpm, yarn",
    detect=r"^npm (?:error|ERR!|warn|WARN) |^\s?\[?ERR_PNPM_|^Progress: resolved \d+|^yarn (?:install|run) v\d|^➤ YN\d{4}: ",
    tools=("npm", "pnpm", "yarn"),
    rules=RULES,
    block_starts=BLOCKS,
)
