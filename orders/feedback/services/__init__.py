"""Every write of the feedback loop. Other modules import from here, never from the submodules."""

from orders.feedback.services.discrepancies import (
    DiscrepancyRequest,
    ResolutionRequest,
    discrepancy_acknowledge,
    discrepancy_assign,
    discrepancy_message_post,
    discrepancy_open,
    discrepancy_reject,
    discrepancy_reopen,
    discrepancy_resolve,
)
from orders.feedback.services.receipts import ReceiptLineRequest, receipt_confirm
from orders.feedback.services.reconciliation import (
    stock_report_candidates,
    stock_report_submit,
    stock_reports_reconcile,
)

__all__ = [
    "DiscrepancyRequest",
    "ReceiptLineRequest",
    "ResolutionRequest",
    "discrepancy_acknowledge",
    "discrepancy_assign",
    "discrepancy_message_post",
    "discrepancy_open",
    "discrepancy_reject",
    "discrepancy_reopen",
    "discrepancy_resolve",
    "receipt_confirm",
    "stock_report_candidates",
    "stock_report_submit",
    "stock_reports_reconcile",
]
