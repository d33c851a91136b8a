#!/usr/bin/env python3
"""Temporary credentials on a moto server started with INITIAL_NO_AUTH_ACTION_COUNT=3:
its first three calls (an IAM role, its policy, sts:AssumeRole) need no signature;
from then on it verifies Signature V4 and the session token of every request.
Creates the bucket with those credentials and prints: ACCESS SECRET TOKEN.
usage: moto_setup.py ENDPOINT BUCKET"""
import json
import sys

import boto3

ep, bucket = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=ep, region_name="us-east-1", aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
          aws_secret_access_key="unused")
iam = boto3.client("iam", **kw)
trust = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
iam.create_role(RoleName="stoa", AssumeRolePolicyDocument=json.dumps(trust))
allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
iam.put_role_policy(RoleName="stoa", PolicyName="s3", PolicyDocument=json.dumps(allow))
c = boto3.client("sts", **kw).assume_role(RoleArn="arn:aws:iam::123456789012:role/stoa",
                                          RoleSessionName="stoa")["Credentials"]
boto3.client("s3", endpoint_url=ep, region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
             aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]).create_bucket(
    Bucket=bucket)
print(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
