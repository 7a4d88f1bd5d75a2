"""Human titles for trivy's misconfiguration checks: what is wrong, in a few words.

trivy's own check titles are mostly readable but mixed in voice: some say what is wrong
("Runs as root user"), some what should be ("S3 Data should be versioned"), some only name
a topic ("Privileged", "S3 Bucket Logging"). This table restates the ones secscan's
example and tests meet as the flaw; a check not listed keeps trivy's own title, which is
always a phrase (trivy ships no check without one).
"""

from __future__ import annotations

TITLES: dict[str, str] = {
    "AWS-0014": "CloudTrail not enabled in all regions",
    "AWS-0015": "CloudTrail logs not encrypted with a customer-managed key",
    "AWS-0016": "CloudTrail log file validation disabled",
    "AWS-0080": "RDS instance not encrypted",
    "AWS-0086": "S3 public access block does not block public ACLs",
    "AWS-0087": "S3 public access block does not block public policies",
    "AWS-0089": "S3 bucket access logging disabled",
    "AWS-0090": "S3 bucket versioning disabled",
    "AWS-0091": "S3 public access block does not ignore public ACLs",
    "AWS-0092": "S3 bucket publicly accessible through its ACL",
    "AWS-0093": "S3 public access block does not restrict public buckets",
    "AWS-0094": "S3 bucket without a public access block",
    "AWS-0104": "security group allows egress to any address",
    "AWS-0107": "security group allows SSH/RDP from any address",
    "AWS-0132": "S3 bucket not encrypted with a customer-managed key",
    "AWS-0133": "RDS Performance Insights disabled",
    "AWS-0161": "CloudTrail S3 bucket is public",
    "AWS-0162": "CloudTrail logs not sent to CloudWatch",
    "AWS-0163": "CloudTrail S3 bucket access logging disabled",
    "AWS-0176": "RDS IAM database authentication disabled",
    "AWS-0177": "RDS deletion protection disabled",
    "AWS-0180": "RDS instance publicly accessible",
    "DS-0001": "image pinned to the ':latest' tag",
    "DS-0002": "container runs as root",
    "DS-0005": "ADD used instead of COPY",
    "DS-0010": "sudo used in RUN",
    "DS-0025": "'apk add' without --no-cache",
    "DS-0026": "no HEALTHCHECK defined",
    "DS-0029": "'apt-get install' without --no-install-recommends",
    "KSV-0001": "container can escalate its privileges",
    "KSV-0003": "container does not drop all capabilities",
    "KSV-0004": "container drops no capabilities",
    "KSV-0011": "container CPU not limited",
    "KSV-0012": "container runs as root",
    "KSV-0013": "image pinned to the ':latest' tag",
    "KSV-0014": "container root file system writable",
    "KSV-0015": "container CPU requests not set",
    "KSV-0016": "container memory requests not set",
    "KSV-0017": "privileged container",
    "KSV-0018": "container memory not limited",
    "KSV-0020": "container runs with a low UID (<= 10000)",
    "KSV-0021": "container runs with a low GID (<= 10000)",
    "KSV-0023": "hostPath volume mounted",
    "KSV-0030": "no RuntimeDefault seccomp profile",
    "KSV-0104": "seccomp disabled",
    "KSV-0105": "container sets runAsUser to 0",
    "KSV-0106": "container adds capabilities beyond NET_BIND_SERVICE",
    "KSV-0110": "workload in the default namespace",
    "KSV-0118": "default security context used",
    "KSV-0125": "image from an untrusted registry",
}


def title(check_id: str, trivy_title: str | None) -> str:
    """The human title of a trivy check: this table's, else trivy's own, else the id."""
    return TITLES.get(check_id) or (trivy_title or "").strip().rstrip(".") or check_id
