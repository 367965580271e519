"""Where data comes from and goes to: boto3 clients, the embedded emulator, local or s3:// files."""
