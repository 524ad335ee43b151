"""DynamoDB/S3 adapters for tasks, quota counters and session checkpoints."""
