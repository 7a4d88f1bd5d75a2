"""Third-party integrations: payments, Slack alerts, GitHub issues and merchant webhooks."""

import logging

import requests
from flask import Blueprint, current_app, jsonify, request

from .auth import admin_required

bp = Blueprint("integrations", __name__)
log = logging.getLogger(__name__)

# FLAW github-token: GitHub personal access token committed to source
GITHUB_TOKEN = "ghp_PR4lV3bklrvkqrwO1GH2hMJqWnWbYWdOJ1rR"
GITHUB_REPO = "vulnerable-shop/storefront"

# FLAW slack-webhook: Slack incoming-webhook URL committed to source
SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/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"

# FLAW stripe-key: live Stripe secret key committed to source
STRIPE_API_KEY = "sk_live_xGqqbDTODjZu4YVxxT59dbLa"


def notify_slack(text):
    try:
        requests.post(SLACK_WEBHOOK_URL, json={"text": text}, timeout=5)
    except requests.RequestException:
        log.warning("Slack notification failed", exc_info=True)


def open_github_issue(title, body):
    """Used by the error handler to file crashes as GitHub issues."""
    resp = requests.post(
        f"https://api.github.com/repos/{GITHUB_REPO}/issues",
        headers={"Authorization": f"token {GITHUB_TOKEN}"},
        json={"title": title, "body": body},
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()["html_url"]


def charge(order_id, amount_cents, card_token):
    """Charge a card through the internal payment gateway."""
    url = current_app.config["PAYMENT_API_URL"] + "/charges"
    payload = {"order": order_id, "amount": amount_cents, "source": card_token}
    headers = {"Authorization": f"Bearer {STRIPE_API_KEY}"}
    # FLAW tls-verify-off: certificate verification disabled for the payment gateway
    resp = requests.post(url, json=payload, headers=headers, timeout=15, verify=False)
    resp.raise_for_status()
    return resp.json()


@bp.route("/webhooks/test", methods=("POST",))
@admin_required
def test_webhook():
    """Lets a merchant check that their webhook endpoint is reachable."""
    target = request.form["url"]
    # FLAW ssrf: the server fetches whatever URL the client supplies
    resp = requests.get(target, timeout=5)
    return jsonify(status=resp.status_code, body=resp.text[:500])


@bp.route("/webhooks/payment", methods=("POST",))
def payment_webhook():
    event = request.get_json(force=True)
    if event.get("type") == "charge.failed":
        notify_slack(f"Payment failed for order {event.get('order')}")
    return "", 204
