# AWS infrastructure for the shop: report bucket, web security group,
# analytics warehouse (RDS PostgreSQL) and the account audit trail.

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 4.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "vpc_id" {
  type = string
}

variable "warehouse_password" {
  type      = string
  sensitive = true
}

# --- report bucket -------------------------------------------------------------

# FLAW tf-s3-no-encryption: no server-side encryption with a customer managed key
# FLAW tf-s3-no-logging: no access logging configured
# FLAW tf-s3-no-versioning: versioning not enabled
resource "aws_s3_bucket" "reports" {
  bucket = "vulnerable-shop-reports"
  # FLAW tf-s3-public: report bucket readable by everyone, no public access block
  acl = "public-read"

  tags = {
    Project = "vulnerable-shop"
  }
}

# --- network -------------------------------------------------------------------

resource "aws_security_group" "web" {
  name        = "vulnerable-shop-web"
  description = "Shop web servers"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }

  ingress {
    description = "SSH for the on-call engineer"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    # FLAW tf-sg-ssh-open: SSH open to the whole internet
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description = "Outbound"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# --- analytics warehouse ---------------------------------------------------------

resource "aws_db_instance" "warehouse" {
  identifier              = "shop-warehouse"
  engine                  = "postgres"
  engine_version          = "13.7"
  instance_class          = "db.t3.medium"
  allocated_storage       = 100
  username                = "shop"
  password                = var.warehouse_password
  vpc_security_group_ids  = [aws_security_group.web.id]
  backup_retention_period = 7
  skip_final_snapshot     = true
  # FLAW tf-rds-unencrypted: storage not encrypted at rest
  storage_encrypted = false
  # FLAW tf-rds-public: database reachable from the internet
  publicly_accessible = true
}

# --- audit trail ---------------------------------------------------------------

resource "aws_cloudtrail" "main" {
  name           = "vulnerable-shop-trail"
  s3_bucket_name = aws_s3_bucket.reports.id
  # FLAW tf-cloudtrail-off: trail limited to one region, log validation and logging switched off
  is_multi_region_trail         = false
  enable_log_file_validation    = false
  enable_logging                = false
  include_global_service_events = true
}
