"""AWS list prices (USD, us-east-1, no free tier) that `jada cost estimate` multiplies.

Source: the public AWS pricing pages below, as published in 2025 (last checked 2025-11). Prices
change: check the pages before relying on a figure. Model token prices live with the code that
bills them: `jada.agent.pricing`.

- CloudWatch https://aws.amazon.com/cloudwatch/pricing/ (custom metrics are prorated by the hour
  they are sent; an alarm on metric math is billed per metric it reads; the first 3 dashboards of
  an account are free)
- Lambda https://aws.amazon.com/lambda/pricing/ (Arm)
- DynamoDB https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the 2024-11 price cut)
- Secrets Manager https://aws.amazon.com/secrets-manager/pricing/
- EventBridge Scheduler https://aws.amazon.com/eventbridge/pricing/
- Step Functions https://aws.amazon.com/step-functions/pricing/ (Standard workflows)
- X-Ray https://aws.amazon.com/xray/pricing/
- SNS https://aws.amazon.com/sns/pricing/, SQS https://aws.amazon.com/sqs/pricing/,
  S3 https://aws.amazon.com/s3/pricing/, KMS https://aws.amazon.com/kms/pricing/
"""

from __future__ import annotations

REGION = "us-east-1"
AS_OF = "2025-11"
#: CloudWatch prorates hourly over a 730-hour month; monthly figures use the same month
HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24

# CloudWatch
METRIC_MONTH = 0.30  # per custom metric (first 10,000)
ALARM_METRIC_MONTH = 0.10  # per metric a standard-resolution alarm reads
HIGH_RES_ALARM_METRIC_MONTH = 0.30  # period under 60 s
DASHBOARD_MONTH = 3.00  # beyond the account's first 3 dashboards
LOG_INGEST_GB = 0.50
LOG_STORAGE_GB_MONTH = 0.03
# Lambda (Arm; x86 is 0.0000166667 per GB-second)
LAMBDA_REQUEST = 0.20 / 1_000_000
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
# DynamoDB on demand
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
# Secrets Manager
SECRET_MONTH = 0.40
SECRETS_API_CALL = 0.05 / 10_000
# EventBridge Scheduler (beyond 14 million free invocations a month)
SCHEDULER_INVOCATION = 1.00 / 1_000_000
# Step Functions Standard
STATE_TRANSITION = 0.025 / 1_000
# X-Ray
TRACE_RECORDED = 5.00 / 1_000_000
# SNS
SNS_PUBLISH = 0.50 / 1_000_000
SNS_EMAIL = 2.00 / 100_000

#: what a Lambda function writes to its log group per invocation besides the handler's output
#: (the START, END and REPORT lines; REPORT with X-Ray adds its trace id)
LAMBDA_PLATFORM_LOG_BYTES = 330
GB = 1024**3
