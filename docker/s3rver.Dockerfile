# s3rver, the S3-compatible store of the Compose setup (and of stoa's tests): it
# verifies AWS Signature V2, the only signature libs3 2.0 produces.
FROM node:18-bookworm-slim
RUN npm install -g --no-audit --no-fund s3rver@3.7.1 && npm cache clean --force \
 && mkdir -p /data && chown node:node /data
USER node
EXPOSE 4569
VOLUME ["/data"]
ENTRYPOINT ["s3rver", "-d", "/data", "-a", "0.0.0.0", "-p", "4569", "--configure-bucket", "stoa"]
