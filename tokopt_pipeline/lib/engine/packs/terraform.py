"""Runner pack: Terraform (init, fmt, validate, plan, apply, terraform test) and OpenTofu.

Formats read (one example line each; lines arrive without ANSI colours and CI timestamps):

* diagnostics, boxed (coloured output) or plain (``-no-color`` in older versions): ``╷`` then
  ``│ Error: Reference to undeclared resource`` (high through the generic rules),
  ``│   on main.tf line 23, in resource "null_resource" "nat":`` / ``  on main.tf line 10:`` (the location),
  ``│   23:     subnet = null_resource.subnets[0].id`` (the code), ``│ A managed resource ... has not been
  declared`` (the detail), ``╵``; ``│ Warning: Version constraints inside provider configuration blocks are deprecated``
* a failed provisioner's detail: ``Error running command './scripts/migrate.sh fleet_prod': exit status 2.``
* the end of a failed plan or run (critical): ``Planning failed. Terraform encountered an error while generating this plan.``,
  ``Error: Terraform exited with code 1.`` (the setup-terraform wrapper)
* summaries (passing, kept low): ``Plan: 203 to add, 0 to change, 0 to destroy.``,
  ``Apply complete! Resources: 12 added, 0 changed, 0 destroyed.``, ``No changes. Your infrastructure matches the
  configuration.``, ``Success! The configuration is valid.``
* plan body (low; its values may hold any word): ``  # null_resource.bucket["error-reports-eu-west-1"] will be created``,
  ``  + resource "null_resource" "bucket" {``, ``          + "name" = "fleet-error-reports-eu-west-1"``
* apply progress (noise): ``null_resource.error_pages[0]: Creating...``,
  ``null_resource.failover_dns: Still creating... [10s elapsed]``,
  ``null_resource.worker[7]: Creation complete after 0s [id=2579965407460113585]``
* provisioner output (low: a failure repeats it in the diagnostic's ``Output:``):
  ``null_resource.worker[7] (local-exec): worker-7: health check passed``
* init (noise): ``Initializing provider plugins...``, ``- Installing hashicorp/null v2.1.2...``,
  ``Terraform has been successfully initialized!``
* terraform test (1.6+): ``tests/main.tftest.hcl... in progress``, ``  run "check_bucket_name"... fail``,
  ``tests/main.tftest.hcl... fail``, ``Failure! 0 passed, 1 failed.`` / ``Success! 3 passed, 0 failed.``
"""

from tokopt_pipeline.lib.engine.packs.base import C, H, L, M, Pack, Rule, TestLine, TotalsLine, V

_BOX = r"(?:│ )?"
_ADDRESS = r"^[\w.\[\]\"/:-]+"  # null_resource.bucket["error-reports-eu-west-1"], module.a.data.x.y[0]
_RUN_FAIL = r'^\s*run "[^"]+"\.\.\. (?:fail|error)\b'

RULES = (
    # --- critical: a failed plan, a failed terraform test run and its totals, the wrapper's exit
    Rule(r"^Planning failed\. |^Error: Terraform exited with code [1-9]|" + _RUN_FAIL
         + r"|^Failure! \d+ passed, \d+ failed", C, "terraform failed"),
    # --- high: a diagnostic's location (its severity is on the box's first line), a failed test file
    Rule(r"^" + _BOX + r"  on \S+ line \d+(?:, in .*)?:$|^│ Error: |^\S+\.tftest\.(?:hcl|json)\.\.\. fail", H,
         "terraform diagnostic"),
    # --- medium: warnings (their detail may use any word)
    Rule(r"^" + _BOX + r"Warning: ", M, "terraform warning"),
    # --- low: passing summaries, plan body, provisioner output
    Rule(r"^(?:Plan: \d+ to add, |Apply complete! Resources: |Destroy complete! Resources: |No changes\. "
         r"|Success! The configuration is valid\.|Success! \d+ passed, 0 failed)"
         r"|^ +# \S.* (?:will be (?:created|destroyed|updated in-place|replaced|read during apply)|must be replaced"
         r"|has been deleted|has changed|has moved to )"
         r"|^ +(?:[-+~]|-/\+|\+/-) (?:(?:resource|data) \"|\"[^\"]*\" += |[\w-]+ += |[\w-]+ \{$)"
         r"|" + _ADDRESS + r" \((?:local|remote)-exec\): ", L, "terraform summary, plan, provisioner output"),
    # --- verbose: apply progress (resources named *error* included), init, passing test runs
    Rule(_ADDRESS + r": (?:Creating\.\.\.|Creation complete after |Still (?:creating|destroying|modifying|reading)\.\.\. \["
         r"|Destroying\.\.\.|Destruction complete after |Modifying\.\.\.|Modifications complete after "
         r"|Refreshing state\.\.\.|Reading\.\.\.|Read complete after |Provisioning with '|Importing from ID "
         r"|Import prepared!|Preparing import\.\.\.)"
         r"|^Initializing (?:the backend|provider plugins|modules)\.\.\.$"
         r"|^- (?:Finding|Installing|Installed|Using previously-installed|Reusing previous version of) \S+/\S+"
         r"|^Terraform has (?:been successfully initialized!|created a lock file)"
         r"|^\s*run \"[^\"]+\"\.\.\. (?:pass|skip)|^\S+\.tftest\.(?:hcl|json)\.\.\. (?:in progress|tearing down|pass|skip)",
         V, "terraform progress"),
)

TESTS = (
    TestLine(r"^\s*run \"(?P<id>[^\"]+)\"\.\.\. fail\b"),
    TestLine(r"^\s*run \"(?P<id>[^\"]+)\"\.\.\. error\b", "error"),
)

_NEVER = r"\b\B"

TOTALS = (
    TotalsLine(r"^(?P<text>(?:Success|Failure)! \d+ passed, \d+ failed(?:, \d+ skipped)?\.)\s*$",
               r"^Failure!|\b[1-9]\d* failed"),
    TotalsLine(r"^(?P<text>Plan: \d+ to add, \d+ to change, \d+ to destroy\.)\s*$", _NEVER),
    TotalsLine(r"^(?P<text>(?:Apply|Destroy) complete! Resources: .*?)\s*$", _NEVER),
    TotalsLine(r"^(?P<text>Success! The configuration is valid\.)\s*$", _NEVER),
    TotalsLine(r"^(?P<text>Planning failed\. Terraform encountered an error while generating this plan\.)\s*$",
               r"failed"),
)

BLOCK_STARTS = (
    r"^╷",
    r"^\s*run \"[^\"]+\"\.\.\. ",
)

PACK = Pack(
    "terraform",
    "Terraform / OpenTofu: diagnostics, plan and apply summaries, provisioners, terraform test",
    detect=r"^Terraform (?:v\d|has been successfully initialized|will perform the following actions|used the selected "
           r"providers)|^Initializing provider plugins\.\.\.$|\.tftest\.hcl\.\.\. ",
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    tools=("terraform", "tofu"),
)
