"""Configuration classes, selected by the SHOP_ENV environment variable."""

import os

BASE_DIR = os.path.abspath(os.path.dirname(os.path.dirname(__file__)))


class Config:
    SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "change-me")
    DATABASE = os.path.join(BASE_DIR, "instance", "shop.sqlite3")
    UPLOAD_FOLDER = os.path.join(BASE_DIR, "instance", "uploads")
    INVOICE_FOLDER = os.path.join(BASE_DIR, "instance", "invoices")
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PAYMENT_API_URL = "https://payments.internal.example-shop.net/v1"
    REPORT_BUCKET = "vulnerable-shop-reports"

    # Analytics warehouse (the RDS instance in deploy/terraform); the nightly
    # export in reports.py pushes order data there with psql.
    WAREHOUSE_HOST = os.environ.get("WAREHOUSE_HOST", "localhost")
    WAREHOUSE_USER = "shop"
    # FLAW hardcoded-db-password: production database password committed to source
    WAREHOUSE_PASSWORD = "Sh0p-W4rehouse!2019"

    # Credentials for the S3 report bucket, "temporarily" pasted in during an outage.
    # FLAW aws-access-key-id: AWS access key id hard-coded in config
    AWS_ACCESS_KEY_ID = "AKIA6STL3HAUH726LMXW"
    # FLAW aws-secret-access-key: matching AWS secret access key hard-coded in config
    AWS_SECRET_ACCESS_KEY = "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"


class DevelopmentConfig(Config):
    DEBUG = True


class ProductionConfig(Config):
    DEBUG = False
    WAREHOUSE_HOST = os.environ.get("WAREHOUSE_HOST", "shop-warehouse.cluster.eu-west-1.rds.amazonaws.com")


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
}


def get_config(name):
    return CONFIGS.get(name, DevelopmentConfig)
